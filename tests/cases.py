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


# name -> (factory, input width D)
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
}

NAMES = list(CASES)


def make(name, seed=0, batch=None):
    """(layer, theta, x) with seeded random parameters and input; x : (D,) or (batch, D)."""
    factory, d = CASES[name]
    layer = factory()
    rng = np.random.default_rng(seed)
    theta = layer.init(rng)
    x = rng.normal(size=(d,) if batch is None else (batch, d))
    return layer, theta, x


def out_size(layer, x):
    return layer.output_size(x.shape[-1])
