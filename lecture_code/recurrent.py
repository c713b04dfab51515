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
with ``z_bar_t = dL/dz_t``::

    u_t = dL/dh_t = (cotangent of h_t from the output) + W_hh^T z_bar_{t+1},
    z_bar_t = (1 - h_t^2) * u_t                                                   (eq 8.4)
    dL/dW_ih = sum_t z_bar_t x_t^T,  dL/dW_hh = sum_t z_bar_t h_{t-1}^T,  dL/db = sum_t z_bar_t

so ``u_t`` is ``u_T`` multiplied by ``T - t`` factors ``W_hh^T diag(1 - h^2)``: it
shrinks geometrically when they are small (the vanishing gradient). The LSTM's
cell carries ``dL/dc_{t-1} = f_t * dL/dc_t + ...``: a product of forget gates.
Parameters (PyTorch's layout, G = 1 for the RNN, 4 for the LSTM):
``{"W_ih": (G*H, D_in), "W_hh": (G*H, H), "b_ih": (G*H,), "b_hh": (G*H,)}``.
"""

from __future__ import annotations

import numpy as np

from ._stable import sigmoid
from ._validate import as_array, finite_float, one_of, positive_int, rng_from, shape_str
from .layers import Layer, Param
from .losses import Loss, check_loss
from .sequential import Sequential

__all__ = ["RNN", "LSTM", "gradient_norms_through_time"]

OUTPUTS = ("last", "all")


class _Recurrent(Layer):
    """A cell unrolled over ``seq_len`` steps; subclasses give the cell's forward, tangent and reverse step."""

    gates = 1  # G: blocks of H rows in W_ih, W_hh, b_ih, b_hh

    def __init__(self, input_size: int, hidden_size: int, seq_len: int, outputs: str = "last"):
        name = type(self).__name__
        self.input_size = positive_int(input_size, name, "input_size")
        self.hidden_size = positive_int(hidden_size, name, "hidden_size")
        self.seq_len = positive_int(seq_len, name, "seq_len")
        self.outputs = one_of(outputs, OUTPUTS, name, "outputs (h_T or h_1 .. h_T)")
        self.in_shape = (self.seq_len, self.input_size)
        self.out_shape = (self.hidden_size,) if outputs == "last" else (self.seq_len, self.hidden_size)
        self.d_in = self.seq_len * self.input_size
        self.d_out = int(np.prod(self.out_shape))

    def __repr__(self) -> str:
        last = "" if self.outputs == "last" else ", outputs='all'"
        return f"{type(self).__name__}({self.input_size} -> {self.hidden_size}, T={self.seq_len}{last})"

    def param_spec(self) -> dict:
        gh = self.gates * self.hidden_size
        return {"W_ih": Param((gh, self.input_size), "weight"), "W_hh": Param((gh, self.hidden_size), "weight"),
                "b_ih": Param((gh,), "bias"), "b_hh": Param((gh,), "bias")}

    def init(self, rng) -> dict:
        """Every entry ~ U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default for ``nn.RNN`` and ``nn.LSTM``."""
        rng = rng_from(rng, f"{self!r}.init")
        bound = 1.0 / np.sqrt(self.hidden_size)
        return {key: rng.uniform(-bound, bound, size=p.shape) for key, p in self.param_spec().items()}

    def _input_layout(self) -> str:
        return (f"sequences of T = {self.seq_len} steps of D_in = {self.input_size} features, "
                f"(T, D_in) = {shape_str(self.in_shape)} flattened row-major")

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

    # -- primitives -------------------------------------------------------------------------------
    def _forward(self, x, theta):
        return self._output(self._sweep(x, theta)["h"], x.shape[:-1])

    def _jvp(self, x, theta, v):
        store = self._sweep(x, theta)  # for x : (D,) and a stack v : (K, D) its batch of 1 broadcasts
        store["d"] = self._derivatives(store)
        zx_dot = v.reshape(-1, *self.in_shape) @ theta["W_ih"].T
        zero = np.zeros((zx_dot.shape[0], self.hidden_size))
        dots = {"h": zero, "c": zero}  # the tangents h_dot, c_dot of the state, from h_0 = c_0 = 0
        h_dots = [dots["h"]]
        for t in range(self.seq_len):
            self._tangent_step(store, t, zx_dot[:, t] + dots["h"] @ theta["W_hh"].T, dots)
            h_dots.append(dots["h"])
        return self._output(np.stack(h_dots, axis=1), v.shape[:-1])

    def _vjp(self, x, theta, u):
        return self._bptt(self._sweep(x, theta), theta, u)[:2]

    # -- shortcuts: the forward pass's states reused; no parameter part when it is not needed ------
    def _forward_vjp(self, x, theta):
        store = self._sweep(x, theta)
        return self._output(store["h"], x.shape[:-1]), lambda u: self._bptt(store, theta, u)[:2]

    def _vjp_input(self, x, theta, u):
        return self._bptt(self._sweep(x, theta), theta, u, params=False)[0]

    def _bptt(self, store, theta, u, params=True):
        """Backpropagation through time (eq 8.4): ``(x_bar, theta_bar, u_states)``, u_states[:, t-1] = dL/dh_t.

        With ``params=False`` theta_bar is None (the input part alone).
        """
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
        z_bar = np.empty((b, self.seq_len, self.gates * self.hidden_size))  # dL/dz_t at every step
        states = np.empty_like(arriving)
        carry = {"h": np.zeros((b, self.hidden_size)), "c": np.zeros((b, self.hidden_size))}
        for t in reversed(range(self.seq_len)):
            states[:, t] = arriving[:, t] + carry["h"]  # u_t: from the output and from step t + 1
            z_bar[:, t] = self._reverse_step(store, t, states[:, t], carry)
            carry["h"] = z_bar[:, t] @ theta["W_hh"]
        x_bar = (z_bar @ theta["W_ih"]).reshape(u.shape[:-1] + (self.d_in,))
        states = states.reshape(u.shape[:-1] + (self.seq_len, self.hidden_size))
        if not params:
            return x_bar, None, states
        # the shared parameters collect one term from every step (weight sharing)
        Z = z_bar.reshape(-1, z_bar.shape[-1])
        theta_bar = {
            "W_ih": Z.T @ store["x"].reshape(-1, self.input_size),
            "W_hh": Z.T @ store["h"][:, :-1].reshape(-1, self.hidden_size),
            "b_ih": Z.sum(axis=0),
            "b_hh": Z.sum(axis=0),
        }
        return x_bar, theta_bar, states

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
        return self._bptt(self._sweep(x, theta), theta, u, params=False)[2]


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
        return s["d"][:, t] * u_t  # z_bar_t = dL/dz_t

    def _named(self, s):
        return {"h": s["h"][:, 1:]}


class LSTM(_Recurrent):
    """LSTM with gates i, f, g, o in PyTorch's order (eq 8.5), as ``torch.nn.LSTM``.

    x : (T * D_in,) or (N, T * D_in), flattened from (T, D_in) -> h_T : (H,) or (N, H) with
    ``outputs="last"``, or (T * H,) / (N, T * H) flattened from (T, H) with ``outputs="all"``.
    theta = {"W_ih": (4H, D_in), "W_hh": (4H, H), "b_ih": (4H,), "b_hh": (4H,)}, rows in blocks i, f, g, o.
    """

    gates = 4

    def init(self, rng, forget_bias: float = 0.0) -> dict:
        """PyTorch's default (entries ~ U(-1/sqrt(H), 1/sqrt(H))), plus ``forget_bias`` on the forget gate's ``b_ih``.

        A positive forget bias (1 or 2 are common) starts the forget gates f = sigmoid(z_f) near 1, so
        that the cell keeps its content, and its gradient, over many steps (chapter 8).
        """
        forget_bias = finite_float(forget_bias, f"{self!r}.init", "forget_bias")
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
        gates_bar = np.concatenate([c_bar * g, c_bar * s["c"][:, t], c_bar * i, u_t * tc], axis=-1)  # dL/d(i, f, g, o)
        return gates_bar * s["d"][:, t]  # z_bar_t = dL/dz_t

    def _named(self, s):
        i, f, g, o = self._split(s["gates"])
        return {"h": s["h"][:, 1:], "c": s["c"][:, 1:], "i": i, "f": f, "g": g, "o": o}


def gradient_norms_through_time(net, thetas, X, Y, loss: Loss) -> np.ndarray:
    """``norms[k] = ||dL/dh_{T-k}||`` for k = 0 .. T-1 (t = T .. 1): the vanishing gradient, eq 8.4.

    ``net`` is an ``RNN`` or ``LSTM``, or a network with one among its layers (the first
    such layer is measured); L is the batch-mean ``loss`` of ``net`` on (X, Y). The norm of
    step t is taken over the whole batch's cotangent dL/dh_t : (N, H). Returns norms : (T,).
    Built on the public API: the layers before the recurrent one give its input, the
    layers after it (the head) pull the loss gradient back to its output, and
    :meth:`state_cotangents` does the rest.
    """
    check_loss(loss, "gradient_norms_through_time")
    if not isinstance(net, Layer):
        raise ValueError(f"gradient_norms_through_time expects a lecture_code Layer as net, got {type(net).__name__}")
    loss(net.forward(X, thetas), Y)  # checks net, thetas, X and Y together
    pairs = net.leaves(thetas)
    where = [k for k, (layer, _) in enumerate(pairs) if isinstance(layer, _Recurrent)]
    if not where:
        raise ValueError(
            f"gradient_norms_through_time expects an RNN or LSTM, or a network holding one, got {net!r:.80}")
    k = where[0]
    X = as_array(X, "X")

    def chain(part):
        return Sequential([layer for layer, _ in part]), [theta for _, theta in part]

    rec, theta_rec = pairs[k]
    h_in = X
    if k:
        before, before_thetas = chain(pairs[:k])
        h_in = before.forward(X, before_thetas)
    y = rec.forward(h_in, theta_rec)
    if k + 1 < len(pairs):
        head, head_thetas = chain(pairs[k + 1:])
        u = head.vjp_input(y, head_thetas, loss.grad(head.forward(y, head_thetas), Y))
    else:
        u = loss.grad(y, Y)
    states = rec.state_cotangents(h_in, theta_rec, u)  # (T, H) or (N, T, H)
    axes = tuple(a for a in range(states.ndim) if a != states.ndim - 2)
    return np.sqrt((states**2).sum(axis=axes))[::-1].copy()
