"""The functions every test runs through: each layer type, Sequential and mlp, with size-1 edges."""

import numpy as np

import lecture_code as lc


def chapter1_net():
    """The lecture's 4-8-6-4-2 network as f4 o f3 o f2 o f1, each f_l a Sequential of its own."""
    return lc.Sequential([
        lc.Sequential([lc.Linear(4, 8), lc.ReLU()]),
        lc.Sequential([lc.Linear(8, 6), lc.ReLU()]),
        lc.Sequential([lc.Linear(6, 4), lc.ReLU()]),
        lc.Linear(4, 2),
    ])


# name -> (factory, input width D; None: the layer's own d_in)
CASES = {
    "Linear(3->5)": (lambda: lc.Linear(3, 5), 3),
    "Linear(1->1)": (lambda: lc.Linear(1, 1), 1),
    "Linear(6->1)": (lambda: lc.Linear(6, 1), 6),
    "ReLU": (lc.ReLU, 5),
    "ReLU(D=1)": (lc.ReLU, 1),
    "Sigmoid": (lc.Sigmoid, 4),
    "Tanh": (lc.Tanh, 4),
    "Tanh(D=1)": (lc.Tanh, 1),
    "Softmax": (lc.Softmax, 4),
    "Softmax(D=1)": (lc.Softmax, 1),
    "Identity": (lc.Identity, 3),
    "mlp 4-8-6-4-2 relu": (lambda: lc.mlp([4, 8, 6, 4, 2]), 4),
    "mlp 3-5-1 tanh": (lambda: lc.mlp([3, 5, 1], activation="tanh"), 3),
    "mlp 1-1 sigmoid": (lambda: lc.mlp([1, 1], activation="sigmoid"), 1),
    "mlp 3-4-3 softmax out": (lambda: lc.mlp([3, 4, 3], activation="sigmoid", output_activation="softmax"), 3),
    "nested f4 o f3 o f2 o f1": (chapter1_net, 4),
    "Sequential of activations": (lambda: lc.Sequential([lc.Tanh(), lc.Softmax(), lc.Identity()]), 3),
    # chapter 8: convolutions on flattened signals and images (one channel, kernel 1, size 1 at the edges)
    "Conv1D(2->3, Q=3, L=7)": (lambda: lc.Conv1D(2, 3, 3, 7), None),
    "Conv1D(1->2, Q=4, L=6, padding=2)": (lambda: lc.Conv1D(1, 2, 4, 6, padding=2), None),
    "Conv1D(1->1, Q=1, L=1)": (lambda: lc.Conv1D(1, 1, 1, 1), None),
    "Conv1D(1->1, Q=L=5)": (lambda: lc.Conv1D(1, 1, 5, 5), None),
    "Conv1D(3->1, Q=2, L=4)": (lambda: lc.Conv1D(3, 1, 2, 4), None),
    "Conv2D(2->2, Q=3x2, 4x5)": (lambda: lc.Conv2D(2, 2, (3, 2), (4, 5)), None),
    "Conv2D(1->2, Q=3, 3x3, padding=1)": (lambda: lc.Conv2D(1, 2, 3, (3, 3), padding=1), None),
    "Conv2D(1->1, Q=1, 1x1)": (lambda: lc.Conv2D(1, 1, 1, (1, 1)), None),
    "conv, relu, linear": (lambda: lc.Sequential([lc.Conv1D(1, 3, 3, 8), lc.ReLU(), lc.Linear(18, 2)]), None),
    "conv2d, tanh, conv2d": (lambda: lc.Sequential([lc.Conv2D(1, 2, 2, (4, 4)), lc.Tanh(), lc.Conv2D(2, 1, 2, (3, 3))]), None),
    # chapter 8: recurrent layers on flattened sequences (T = 1, H = 1, D_in = 1 at the edges)
    "RNN(2->3, T=4)": (lambda: lc.RNN(2, 3, 4), None),
    "RNN(2->3, T=4, all)": (lambda: lc.RNN(2, 3, 4, outputs="all"), None),
    "RNN(1->1, T=1)": (lambda: lc.RNN(1, 1, 1), None),
    "RNN(1->1, T=6)": (lambda: lc.RNN(1, 1, 6), None),
    "RNN(3->2, T=1, all)": (lambda: lc.RNN(3, 2, 1, outputs="all"), None),
    "LSTM(2->3, T=4)": (lambda: lc.LSTM(2, 3, 4), None),
    "LSTM(2->3, T=4, all)": (lambda: lc.LSTM(2, 3, 4, outputs="all"), None),
    "LSTM(1->1, T=1)": (lambda: lc.LSTM(1, 1, 1), None),
    "LSTM(1->2, T=5, all)": (lambda: lc.LSTM(1, 2, 5, outputs="all"), None),
    "rnn, linear head": (lambda: lc.Sequential([lc.RNN(1, 4, 6), lc.Linear(4, 1)]), None),
    "lstm, linear head": (lambda: lc.Sequential([lc.LSTM(1, 3, 5), lc.Linear(3, 1)]), None),
    "stacked rnn (all) -> lstm": (lambda: lc.Sequential([lc.RNN(2, 3, 4, outputs="all"), lc.LSTM(3, 2, 4)]), None),
}

NAMES = list(CASES)


def make(name, seed=0, batch=None):
    """(layer, theta, x) with seeded random parameters and input; x : (D,) or (batch, D)."""
    factory, d = CASES[name]
    layer = factory()
    d = layer.d_in if d is None else d
    rng = np.random.default_rng(seed)
    theta = layer.init(rng)
    x = rng.normal(size=(d,) if batch is None else (batch, d))
    return layer, theta, x


def out_size(layer, x):
    return layer.output_size(x.shape[-1])


def has_lstm(layer):
    """nn.LSTM on CUDA runs a fused cell with no forward-mode derivative and no vmap rule (torch.func)."""
    return isinstance(layer, lc.LSTM) or (isinstance(layer, lc.Sequential) and any(map(has_lstm, layer.layers)))


def flat(grads):
    """Parameter trees (nested lists of dicts) as one vector, each dict's keys in sorted order."""
    if isinstance(grads, dict):
        return np.concatenate([np.ravel(grads[k]) for k in sorted(grads)]) if grads else np.zeros(0)
    return np.concatenate([flat(g) for g in grads]) if grads else np.zeros(0)


def banded_matrix(w, length):
    """The (L - K + 1, L) matrix of a one-channel valid cross-correlation with kernel w, written out."""
    k = len(w)
    J = np.zeros((length - k + 1, length))
    for t in range(length - k + 1):
        J[t, t:t + k] = w
    return J
