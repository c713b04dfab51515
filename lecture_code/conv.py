"""Convolution layers: a linear map that is sparse and shares its weights (chapter 8).

Every lecture_code layer takes flat vectors, and so do these. A signal of
``C`` channels and length ``L`` is one example ``x : (C*L,)``, the row-major
flattening of an array ``(C, L)`` (channel 0's ``L`` values first); a batch
is ``X : (N, C*L)``. ``Conv2D`` takes images ``(C, H, W)`` flattened the same
way. ``layer.in_shape`` and ``layer.out_shape`` are the unflattened shapes:
``x.reshape(layer.in_shape)`` and ``y.reshape(-1, *layer.out_shape)`` undo it.

As in ``torch.nn.functional.conv1d`` the kernel is not flipped (a
cross-correlation). With the input zero-padded by ``p`` at both ends,

    y[o, t] = b[o] + sum_c sum_k W[o, c, k] x[c, t + k],  t = 0 .. L_out - 1,  L_out = L + 2p - Q + 1   (eq 8.1)

and for an image the sum runs over the kernel's two offsets ``(k, l)``.
``y`` is linear in ``x``: the Jacobian ``dy/dx`` is a constant matrix whose
row ``(o, t)`` holds the kernel ``W[o]`` at columns ``t .. t + Q - 1`` of
each channel, a banded matrix. Its VJPs (eq 8.2) are

    x_bar[c, s] = sum_o sum_k W[o, c, k] u[o, s - k]     (u correlated with the flipped kernel)
    W_bar[o, c, k] = sum_n sum_t u[n, o, t] x[n, c, t + k],   b_bar[o] = sum_n sum_t u[n, o, t]

(the shared weight collects one term from every position ``t`` it is used at).
Parameters, in PyTorch's layout: ``{"W": (C_out, C_in, Q), "b": (C_out,)}``
(``(C_out, C_in, Q_H, Q_W)`` for ``Conv2D``).
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import nonneg_int, positive_int, rng_from, shape_str
from .layers import Layer, Param

__all__ = ["Conv1D", "Conv2D"]


# -- convolution over n spatial axes --------------------------------------------------------------------


class _Conv(Layer):
    """Cross-correlation over the last ``n`` axes of ``(C_in, *size)`` inputs, stride 1, zero padding ``p``."""

    def __init__(self, in_channels, out_channels, kernel, size, padding, name):
        self.c_in = positive_int(in_channels, name, "in_channels")
        self.c_out = positive_int(out_channels, name, "out_channels")
        self.kernel = tuple(positive_int(k, name, "kernel_size") for k in kernel)
        self.size = tuple(positive_int(s, name, "the input size") for s in size)
        self.padding = nonneg_int(padding, name, "padding")
        padded = tuple(s + 2 * self.padding for s in self.size)
        if any(k > s for k, s in zip(self.kernel, padded)):
            raise ValueError(
                f"{name} kernel_size {shape_str(self.kernel)} does not fit the input of size "
                f"{shape_str(self.size)} padded by {self.padding} to {shape_str(padded)}"
            )
        self.out_size = tuple(s - k + 1 for s, k in zip(padded, self.kernel))
        self.in_shape = (self.c_in, *self.size)
        self.out_shape = (self.c_out, *self.out_size)
        self.d_in = int(np.prod(self.in_shape))
        self.d_out = int(np.prod(self.out_shape))

    def param_spec(self) -> dict:
        return {"W": Param((self.c_out, self.c_in, *self.kernel), "weight"), "b": Param((self.c_out,), "bias")}

    def init(self, rng) -> dict:
        """W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in * kernel size: PyTorch's default for ``nn.Conv``."""
        rng = rng_from(rng, f"{self!r}.init")
        bound = 1.0 / np.sqrt(self.c_in * np.prod(self.kernel))
        return {
            "W": rng.uniform(-bound, bound, size=(self.c_out, self.c_in, *self.kernel)),
            "b": rng.uniform(-bound, bound, size=self.c_out),
        }

    def _input_layout(self) -> str:
        return f"{self._layout} = {shape_str(self.in_shape)} flattened row-major"

    # -- the three maps, on arrays (B, C, *size) ------------------------------------------------------
    def _windows(self, x):
        """(B, C_in, *out_size, *kernel): the input patch under the kernel at every output position."""
        p = self.padding
        xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p)] * len(self.size)) if p else x
        return sliding_window_view(xp, self.kernel, axis=tuple(range(2, 2 + len(self.size))))

    def _correlate(self, x, W):
        """sum over c and the kernel offsets of W[o, c, k] x[c, t + k]: (B, C_in, *size) -> (B, C_out, *out_size)."""
        n = len(self.size)
        window_axes = [1] + list(range(2 + n, 2 + 2 * n))
        y = np.tensordot(self._windows(x), W, axes=(window_axes, [1] + list(range(2, 2 + n))))
        return np.moveaxis(y, -1, 1)

    def _unflat(self, a, shape):
        return a.reshape(-1, *shape)

    def _forward(self, x, theta):
        y = self._correlate(self._unflat(x, self.in_shape), theta["W"])
        y += theta["b"].reshape(-1, *([1] * len(self.size)))
        return y.reshape(x.shape[:-1] + (self.d_out,))

    def _jvp(self, x, theta, v):
        # linear in x: J v is the convolution of v, without the bias
        return self._correlate(self._unflat(v, self.in_shape), theta["W"]).reshape(v.shape[:-1] + (self.d_out,))

    def _vjp(self, x, theta, u):
        U = self._unflat(u, self.out_shape)  # (B, C_out, *out_size)
        X = self._unflat(np.broadcast_to(x, u.shape[:-1] + (self.d_in,)), self.in_shape)
        # parameter part: u correlated with the input patches, summed over the batch and the positions
        spatial = list(range(2, 2 + len(self.size)))
        W_bar = np.tensordot(U, self._windows(X), axes=([0] + spatial, [0] + spatial))
        b_bar = U.sum(axis=(0, *spatial))
        return self._x_bar(U, theta["W"], u.shape[:-1]), {"W": W_bar, "b": b_bar}

    def _vjp_input(self, x, theta, u):
        return self._x_bar(self._unflat(u, self.out_shape), theta["W"], u.shape[:-1])

    def _x_bar(self, U, W, lead):
        """eq 8.2, input part: kernel offset k sends W[:, :, k]^T u_t back to the input t + k it read."""
        p = self.padding
        every = (slice(None), slice(None))  # all examples, all channels
        x_bar = np.zeros((U.shape[0], self.c_in) + tuple(s + 2 * p for s in self.size))
        for k in itertools.product(*(range(kk) for kk in self.kernel)):
            back = np.moveaxis(np.tensordot(U, W[every + k], axes=([1], [0])), -1, 1)
            x_bar[every + tuple(slice(kk, kk + s) for kk, s in zip(k, self.out_size))] += back
        x_bar = x_bar[every + tuple(slice(p, p + s) for s in self.size)]  # the padding is not an input
        return x_bar.reshape(lead + (self.d_in,))


class Conv1D(_Conv):
    """1-d convolution (eq 8.1), as ``torch.nn.Conv1d(in_channels, out_channels, kernel_size, padding=padding)``.

    x : (C_in * L,) or (N, C_in * L), flattened from (C_in, L) ->
    y : (C_out * L_out,) or (N, C_out * L_out), flattened from (C_out, L_out), L_out = L + 2 padding - Q + 1.
    theta = {"W": (C_out, C_in, Q), "b": (C_out,)}. Stride 1.
    """

    _layout = "signals (C_in, L)"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, length: int, padding: int = 0):
        super().__init__(in_channels, out_channels, (kernel_size,), (length,), padding, "Conv1D")

    def __repr__(self) -> str:
        pad = f", padding={self.padding}" if self.padding else ""
        return f"Conv1D({self.c_in}x{self.size[0]} -> {self.c_out}x{self.out_size[0]}, Q={self.kernel[0]}{pad})"


class Conv2D(_Conv):
    """2-d convolution, as ``torch.nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding)``.

    x : (C_in * H * W,) or (N, C_in * H * W), flattened from (C_in, H, W) -> y flattened from
    (C_out, H_out, W_out), H_out = H + 2 padding - Q_H + 1 (W likewise). ``kernel_size`` is Q or (Q_H, Q_W);
    ``size`` is (H, W). theta = {"W": (C_out, C_in, Q_H, Q_W), "b": (C_out,)}. Stride 1.
    """

    _layout = "images (C_in, H, W)"

    def __init__(self, in_channels: int, out_channels: int, kernel_size, size, padding: int = 0):
        kernel = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
        if len(kernel) != 2 or not isinstance(size, (tuple, list)) or len(size) != 2:
            raise ValueError(
                f"Conv2D expects kernel_size Q or (Q_H, Q_W) and size (H, W), "
                f"got kernel_size={kernel_size!r}, size={size!r}"
            )
        super().__init__(in_channels, out_channels, tuple(kernel), tuple(size), padding, "Conv2D")

    def __repr__(self) -> str:
        pad = f", padding={self.padding}" if self.padding else ""
        (h, w), (h_out, w_out), (kh, kw) = self.size, self.out_size, self.kernel
        return f"Conv2D({self.c_in}x{h}x{w} -> {self.c_out}x{h_out}x{w_out}, Q={kh}x{kw}{pad})"
