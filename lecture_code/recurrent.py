"""Recurrent layers: a vanilla RNN and an LSTM, unrolled over a sequence, with backpropagation through time.

Every lecture_code layer takes flat vectors, and so do these. A sequence of
``T`` steps of ``D_in`` features is one example ``x : (T*D_in,)``, the
row-major flattening of an array ``(T, D_in)`` (step 1's features first); a
batch is ``X : (N, T*D_in)``. ``layer.in_shape = (T, D_in)``. The output is
the last hidden state ``h_T : (H,)`` (``outputs="last"``, the default: what
a ``Linear`` head needs for a one-step-ahead prediction) or all hidden states
flattened from ``(T, H)`` (``outputs="all"``). The state starts at
``h_0 = 0`` (and ``c_0 = 0``), as in PyTorch when no initial state is given.

RNN (``torch.nn.RNN``, tanh)::

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   t = 1 .. T          (eq 8.3)

LSTM (``torch.nn.LSTM``; the rows of ``W_ih``, ``W_hh`` and the biases hold the
gates in PyTorch's order i, f, g, o)::

    [z_i, z_f, z_g, z_o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o),   g = tanh(z_g)
    c_t = f * c_{t-1} + i * g,    h_t = o * tanh(c_t)                         (eq 8.5)

Unrolled, either layer is a composition of T copies of one cell that share
their parameters. Its VJP is backpropagation through time: one reverse sweep
over t = T .. 1 that reuses the states stored by the forward pass. For the RNN,
with ``a_t = dL/dz_t``::

    u_t = dL/dh_t = (cotangent of h_t from the output) + W_hh^T a_{t+1},
    a_t = (1 - h_t^2) * u_t                                                   (eq 8.4)
    dL/dW_ih = sum_t a_t x_t^T,  dL/dW_hh = sum_t a_t h_{t-1}^T,  dL/db = sum_t a_t

so ``u_t`` is ``u_T`` multiplied by ``T - t`` factors ``W_hh^T diag(1 - h^2)``: it
shrinks geometrically when they are small (the vanishing gradient). The LSTM's
cell carries ``dL/dc_{t-1} = f_t * dL/dc_t + ...``: a product of forget gates.
Parameters (PyTorch's layout, G = 1 for the RNN, 4 for the LSTM):
``{"W_ih": (G*H, D_in), "W_hh": (G*H, H), "b_ih": (G*H,), "b_hh": (G*H,)}``.
"""

from __future__ import annotations

import numpy as np

from ._validate import param_dict, positive_int, rng_from, shape_str
from .conv import check_flat_x, jacobian_from_jvps
from .layers import Layer
from .losses import Loss

__all__ = ["RNN", "LSTM", "gradient_norms_through_time"]

OUTPUTS = ("last", "all")


def sigmoid(z):
    """1 / (1 + e^-z); z is clipped to +-700 first, so e^-z cannot overflow (sigmoid(700) is 1 in float64)."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -700.0, 700.0)))


class _Recurrent(Layer):
    """A cell unrolled over ``seq_len`` steps; subclasses give the cell's forward, tangent and reverse step."""

    gates = 1  # G: blocks of H rows in W_ih, W_hh, b_ih, b_hh

    def __init__(self, input_size: int, hidden_size: int, seq_len: int, outputs: str = "last"):
        name = type(self).__name__
        self.input_size = positive_int(input_size, f"{name} input_size")
        self.hidden_size = positive_int(hidden_size, f"{name} hidden_size")
        self.seq_len = positive_int(seq_len, f"{name} seq_len")
        if outputs not in OUTPUTS:
            raise ValueError(f"{name} outputs must be 'last' (h_T) or 'all' (h_1 .. h_T), got {outputs!r}")
        self.outputs = outputs
        self.in_shape = (self.seq_len, self.input_size)
        self.out_shape = (self.hidden_size,) if outputs == "last" else (self.seq_len, self.hidden_size)
        self.d_in = self.seq_len * self.input_size
        self.d_out = int(np.prod(self.out_shape))

    def __repr__(self) -> str:
        last = "" if self.outputs == "last" else ", outputs='all'"
        return f"{type(self).__name__}({self.input_size} -> {self.hidden_size}, T={self.seq_len}{last})"

    def init(self, rng=None) -> dict:
        """Every entry ~ U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default for ``nn.RNN`` and ``nn.LSTM``."""
        rng = rng_from(rng)
        bound = 1.0 / np.sqrt(self.hidden_size)
        return {key: rng.uniform(-bound, bound, size=shape) for key, shape in self._shapes().items()}

    def _shapes(self) -> dict:
        gh = self.gates * self.hidden_size
        return {"W_ih": (gh, self.input_size), "W_hh": (gh, self.hidden_size), "b_ih": (gh,), "b_hh": (gh,)}

    def _check_theta(self, theta):
        return param_dict(self, theta, self._shapes())

    def _check_x(self, x, name: str = "x") -> np.ndarray:
        what = (f"sequences of T = {self.seq_len} steps of D_in = {self.input_size} features, "
                f"(T, D_in) = {shape_str(self.in_shape)}")
        return check_flat_x(self, x, name, what)

    # -- the unrolled sweeps, on arrays (B, T, D_in) --------------------------------------------------
    def _sweep(self, x, theta) -> dict:
        """The forward pass over t = 1 .. T; returns what it stores: arrays (B, T or T + 1, ...) and x as (B, T, D_in)."""
        X = x.reshape(-1, *self.in_shape)
        zx = X @ theta["W_ih"].T + theta["b_ih"] + theta["b_hh"]  # every step's input part at once
        store = self._start(X.shape[0])
        for t in range(self.seq_len):
            self._step(store, t, zx[:, t] + store["h"][:, t] @ theta["W_hh"].T)
        store["x"] = X
        return store

    def _output(self, h, lead):
        y = h[:, -1] if self.outputs == "last" else h[:, 1:]
        return y.reshape(lead + (self.d_out,))

    def _forward(self, x, theta):
        return self._output(self._sweep(x, theta)["h"], x.shape[:-1])

    def _jacobian(self, x, theta):
        return jacobian_from_jvps(self, x, theta)

    def _jvp(self, x, theta, v):
        store = self._sweep(x, theta)  # for x : (D,) and a stack v : (K, D) its batch of 1 broadcasts
        store["d"] = self._derivatives(store)
        zx = v.reshape(-1, *self.in_shape) @ theta["W_ih"].T
        dots = {"h": np.zeros((zx.shape[0], self.hidden_size)), "c": np.zeros((zx.shape[0], self.hidden_size))}
        h_dots = [dots["h"]]
        for t in range(self.seq_len):
            self._tangent_step(store, t, zx[:, t] + dots["h"] @ theta["W_hh"].T, dots)
            h_dots.append(dots["h"])
        return self._output(np.stack(h_dots, axis=1), v.shape[:-1])

    def _forward_vjp(self, x, theta):
        store = self._sweep(x, theta)
        return self._output(store["h"], x.shape[:-1]), lambda u: self._bptt(store, theta, u)[:2]

    def _vjp(self, x, theta, u):
        return self._forward_vjp(x, theta)[1](u)

    def _bptt(self, store, theta, u):
        """Backpropagation through time (eq 8.4): ``(x_bar, theta_bar, u_states)``, u_states[:, t-1] = dL/dh_t."""
        U = u.reshape(-1, self.d_out)
        b = U.shape[0]
        if "d" not in store:
            store["d"] = self._derivatives(store)  # the activations' derivatives, at every step at once
        if store["x"].shape[0] != b:  # one example x and a stack of cotangents: repeat the stored states
            store = {k: np.broadcast_to(a, (b,) + a.shape[1:]) for k, a in store.items()}
        arriving = np.zeros((b, self.seq_len, self.hidden_size))  # what the output sends to each h_t
        if self.outputs == "last":
            arriving[:, -1] = U
        else:
            arriving[:] = U.reshape(b, *self.out_shape)
        A = np.empty((b, self.seq_len, self.gates * self.hidden_size))  # a_t = dL/dz_t
        states = np.empty_like(arriving)
        carry = {"h": np.zeros((b, self.hidden_size)), "c": np.zeros((b, self.hidden_size))}
        for t in reversed(range(self.seq_len)):
            states[:, t] = arriving[:, t] + carry["h"]  # u_t: from the output and from step t + 1
            A[:, t] = self._reverse_step(store, t, states[:, t], carry)
            carry["h"] = A[:, t] @ theta["W_hh"]
        # the shared parameters collect one term from every step (weight sharing)
        A2 = A.reshape(-1, A.shape[-1])
        grads = {
            "W_ih": A2.T @ store["x"].reshape(-1, self.input_size),
            "W_hh": A2.T @ store["h"][:, :-1].reshape(-1, self.hidden_size),
            "b_ih": A2.sum(axis=0),
            "b_hh": A2.sum(axis=0),
        }
        x_bar = (A @ theta["W_ih"]).reshape(u.shape[:-1] + (self.d_in,))
        return x_bar, grads, states.reshape(u.shape[:-1] + (self.seq_len, self.hidden_size))

    # -- public extras for chapter 8 --------------------------------------------------------------------
    def states(self, x, theta) -> dict:
        """The stored states of the forward pass, each (T, H) for x : (D,), (N, T, H) for x : (N, D).

        ``"h"`` holds h_1 .. h_T; an LSTM adds the cell ``"c"`` and its gates ``"i"``, ``"f"``, ``"g"``, ``"o"``.
        """
        x, theta = self._check_x(x), self._check_theta(theta)
        lead = x.shape[:-1] + (self.seq_len, self.hidden_size)
        return {k: a.reshape(lead) for k, a in self._named(self._sweep(x, theta)).items()}

    def state_cotangents(self, x, theta, u) -> np.ndarray:
        """``u_t = dL/dh_t`` for t = 1 .. T (eq 8.4), given u = dL/dy like the output: (T, H) or (N, T, H).

        Each is the total derivative: through the output at step t and through every later step.
        """
        x, theta = self._check_x(x), self._check_theta(theta)
        u = self._check_batch_like(x, u, "u", self.d_out, "state_cotangents")
        return self._bptt(self._sweep(x, theta), theta, u)[2]


class RNN(_Recurrent):
    """Vanilla (Elman) RNN, h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (eq 8.3), as ``torch.nn.RNN``.

    x : (T * D_in,) or (N, T * D_in), flattened from (T, D_in) -> h_T : (H,) or (N, H) with
    ``outputs="last"``, or (T * H,) / (N, T * H) flattened from (T, H) with ``outputs="all"``.
    theta = {"W_ih": (H, D_in), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}.
    """

    gates = 1

    def _start(self, b):
        return {"h": np.zeros((b, self.seq_len + 1, self.hidden_size))}

    def _step(self, s, t, z):
        s["h"][:, t + 1] = np.tanh(z)

    def _derivatives(self, s):
        return 1.0 - s["h"][:, 1:] ** 2  # tanh' at every step

    def _tangent_step(self, s, t, z_dot, dots):
        dots["h"] = s["d"][:, t] * z_dot

    def _reverse_step(self, s, t, u_t, carry):
        return s["d"][:, t] * u_t  # a_t = dL/dz_t

    def _named(self, s):
        return {"h": s["h"][:, 1:]}


class LSTM(_Recurrent):
    """LSTM with gates i, f, g, o in PyTorch's order (eq 8.5), as ``torch.nn.LSTM``.

    x : (T * D_in,) or (N, T * D_in), flattened from (T, D_in) -> h_T : (H,) or (N, H) with
    ``outputs="last"``, or (T * H,) / (N, T * H) flattened from (T, H) with ``outputs="all"``.
    theta = {"W_ih": (4H, D_in), "W_hh": (4H, H), "b_ih": (4H,), "b_hh": (4H,)}, rows in blocks i, f, g, o.
    """

    gates = 4

    def init(self, rng=None, forget_bias: float = 0.0) -> dict:
        """PyTorch's default (entries ~ U(-1/sqrt(H), 1/sqrt(H))), plus ``forget_bias`` on the forget gate's ``b_ih``.

        A positive forget bias (1 or 2 are common) starts the forget gates f = sigmoid(z_f) near 1, so
        that the cell keeps its content, and its gradient, over many steps (chapter 8).
        """
        if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float, np.floating)) \
                or not np.isfinite(forget_bias):
            raise ValueError(f"{self!r}.init expects a finite number as forget_bias, got {forget_bias!r}")
        theta = super().init(rng)
        theta["b_ih"][self.hidden_size:2 * self.hidden_size] += forget_bias
        return theta

    def _start(self, b):
        steps = (b, self.seq_len + 1, self.hidden_size)
        return {"h": np.zeros(steps), "c": np.zeros(steps), "tanh_c": np.empty((b, self.seq_len, self.hidden_size)),
                "gates": np.empty((b, self.seq_len, 4 * self.hidden_size))}  # i, f, g, o side by side

    def _split(self, a):
        H = self.hidden_size
        return a[..., :H], a[..., H:2 * H], a[..., 2 * H:3 * H], a[..., 3 * H:]

    def _step(self, s, t, z):
        H = self.hidden_size
        a = sigmoid(z)  # i, f, o; the candidate g is a tanh
        a[:, 2 * H:3 * H] = np.tanh(z[:, 2 * H:3 * H])
        i, f, g, o = self._split(a)
        c = f * s["c"][:, t] + i * g
        s["tanh_c"][:, t] = np.tanh(c)
        s["h"][:, t + 1] = o * s["tanh_c"][:, t]
        s["c"][:, t + 1], s["gates"][:, t] = c, a

    def _derivatives(self, s):
        a = s["gates"]
        d = a * (1 - a)  # sigmoid' = a (1 - a) ...
        d[..., 2 * self.hidden_size:3 * self.hidden_size] = 1 - self._split(a)[2] ** 2  # ... tanh' = 1 - g^2
        return d

    def _tangent_step(self, s, t, z_dot, dots):
        i, f, g, o = self._split(s["gates"][:, t])
        i_dot, f_dot, g_dot, o_dot = self._split(s["d"][:, t] * z_dot)
        tc = s["tanh_c"][:, t]
        dots["c"] = f_dot * s["c"][:, t] + f * dots["c"] + i_dot * g + i * g_dot
        dots["h"] = o_dot * tc + o * (1 - tc**2) * dots["c"]

    def _reverse_step(self, s, t, u_t, carry):
        i, f, g, o = self._split(s["gates"][:, t])
        tc = s["tanh_c"][:, t]
        c_bar = carry["c"] + u_t * o * (1 - tc**2)  # dL/dc_t: through h_t and through c_{t+1}
        carry["c"] = c_bar * f  # the cell path back to c_{t-1}: times the forget gate
        a_bar = np.concatenate([c_bar * g, c_bar * s["c"][:, t], c_bar * i, u_t * tc], axis=-1)  # dL/d(i, f, g, o)
        return a_bar * s["d"][:, t]  # dL/dz_t

    def _named(self, s):
        i, f, g, o = self._split(s["gates"])
        return {"h": s["h"][:, 1:], "c": s["c"][:, 1:], "i": i, "f": f, "g": g, "o": o}


def gradient_norms_through_time(net, thetas, X, Y, loss: Loss) -> np.ndarray:
    """``norms[k] = ||dL/dh_{T-k}||`` for k = 0 .. T-1 (t = T .. 1): the vanishing gradient, eq 8.4.

    ``net`` is an ``RNN`` or ``LSTM``, or a ``Sequential`` with one among its layers (the first
    such layer is measured); L is the batch-mean ``loss`` of ``net`` on (X, Y). The norm of
    step t is taken over the whole batch's cotangent dL/dh_t : (N, H). Returns norms : (T,).
    """
    from .sequential import Sequential

    if not isinstance(loss, Loss):
        raise ValueError(f"gradient_norms_through_time expects a lecture_code loss, got {loss!r:.60}")
    if isinstance(net, Sequential):
        layers, thetas_list = net.layers, net._check_theta(thetas)
    else:
        layers, thetas_list = [net], [thetas]
    where = [k for k, layer in enumerate(layers) if isinstance(layer, _Recurrent)]
    if not where:
        raise ValueError(
            f"gradient_norms_through_time expects an RNN or LSTM, or a Sequential holding one, got {net!r:.80}")
    k = where[0]
    X = net._check_x(X, "X")
    before, rec, after = layers[:k], layers[k], layers[k + 1:]
    h_in = Sequential(before)._forward(X, thetas_list[:k]) if before else X
    theta_rec = rec._check_theta(thetas_list[k])
    store = rec._sweep(h_in, theta_rec)
    y = rec._output(store["h"], h_in.shape[:-1])
    if after:
        y, pull = Sequential(after)._forward_vjp(y, thetas_list[k + 1:])
    _, u = loss(y, Y)
    u = pull(u)[0] if after else u
    states = rec._bptt(store, theta_rec, u)[2]  # (T, H) or (N, T, H)
    axes = tuple(a for a in range(states.ndim) if a != states.ndim - 2)
    return np.sqrt((states**2).sum(axis=axes))[::-1].copy()
