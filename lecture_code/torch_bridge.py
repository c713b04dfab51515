"""The PyTorch bridge: run any lecture_code computation again in PyTorch, in float64.

Imported only when used (``lecture_code.torch_bridge``), so the package
itself needs NumPy alone. It picks the device, converts arrays, and builds
the PyTorch twin of a network with the same parameters, so that a result
can be compared with ``torch.autograd`` and ``torch.func`` (``jacrev``,
``jacfwd``, ``jvp``, ``vjp``).

Device: CUDA when available, else CPU; the environment variable
``LECTURE_DEVICE=cpu|cuda`` overrides. Apple's MPS has no float64 and is
never used.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from . import losses as _losses
from .conv import Conv1D, Conv2D
from .layers import Dropout, Identity, Layer, Linear, ReLU, Sigmoid, Softmax, Tanh
from .recurrent import LSTM, RNN
from .sequential import Sequential

_KINDS = ("cpu", "cuda")


def _parse(name) -> str:
    kind = str(name).strip().lower()
    if kind.startswith("mps"):
        raise ValueError("device 'mps' cannot run the float64 cross-checks (MPS has no float64); use 'cpu' or 'cuda'")
    if kind.split(":")[0] not in _KINDS:
        raise ValueError(f"device must be 'cpu' or 'cuda' (LECTURE_DEVICE too), got {name!r}")
    if kind.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} was asked for, but torch.cuda.is_available() is False on this machine")
    return kind


def pick_device(name=None) -> torch.device:
    """The device to compare on: ``name`` if given, else ``LECTURE_DEVICE``, else CUDA if present, else CPU."""
    if name is None:
        name = os.environ.get("LECTURE_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(_parse(name))
    if dev.type == "cuda":
        _warm_up(dev)
    return dev


_WARM = set()


def _warm_up(dev):
    """Run one backward pass on a CUDA device before any real one.

    Some PyTorch releases warn "Attempting to run cuBLAS, but there was no current CUDA
    context!" at the first backward pass of a process; that warning would fail a test (pytest
    treats warnings as errors here) or a chapter (stderr fails the book build).
    """
    if dev in _WARM:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Attempting to run cuBLAS")
        t = torch.ones(1, device=dev, dtype=torch.float64, requires_grad=True)
        (t * t).sum().backward()
    _WARM.add(dev)


def available_devices() -> list:
    """The devices the cross-checks run on: ``[LECTURE_DEVICE]`` if set, else CPU plus CUDA where present."""
    override = os.environ.get("LECTURE_DEVICE")
    if override:
        return [_parse(override)]
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def to_torch(a, device=None, requires_grad: bool = False) -> torch.Tensor:
    """A float64 tensor on ``device`` (default :func:`pick_device`) holding a copy of ``a``."""
    t = torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, device=pick_device(device)).clone()
    return t.requires_grad_() if requires_grad else t


def to_numpy(t) -> np.ndarray:
    """A tensor (any device, with or without grad) as a float64 NumPy array."""
    return t.detach().to("cpu", torch.float64).numpy()


_ACTIVATIONS = {ReLU: torch.nn.ReLU, Sigmoid: torch.nn.Sigmoid, Tanh: torch.nn.Tanh, Identity: torch.nn.Identity}


def twin(net: Layer, thetas, device=None) -> torch.nn.Module:
    """The PyTorch module computing the same function as ``net`` with parameters ``thetas``.

    ``Linear`` becomes ``nn.Linear`` (same ``W : (M, D)`` layout), activations their
    ``nn`` namesakes, ``Softmax`` ``nn.Softmax(dim=-1)``, ``Dropout`` ``nn.Dropout``,
    ``Conv1D``/``Conv2D``/``RNN``/``LSTM`` their ``nn`` layers wrapped to take flat inputs,
    ``Sequential`` ``nn.Sequential``. The module is returned in evaluation mode (dropout off).
    """
    if not isinstance(net, Layer):
        raise ValueError(f"twin expects a lecture_code Layer, got {type(net).__name__}")
    thetas = net._check_theta(thetas)
    dev = pick_device(device)
    with torch.no_grad():
        return _build(net, thetas, dev).eval()


# lecture_code parameter name -> attribute of the twin's nn.Conv / nn.RNN / nn.LSTM (chapter 8)
_CONV_NAMES = {"W": "weight", "b": "bias"}
_RNN_NAMES = {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}


class _FlatTwin(torch.nn.Module):
    """The twin of a layer on flattened inputs (chapter 8): x -> reshape to ``in_shape`` -> ``inner`` -> flatten.

    ``inner`` is an ``nn.Conv1d``/``nn.Conv2d``, or an ``nn.RNN``/``nn.LSTM`` (batch_first) of which the
    last hidden state (``last=True``) or all of them are kept. RNNs run without cuDNN, whose kernels
    have no backward in evaluation mode and no torch.func rules.
    """

    def __init__(self, inner, in_shape, last=False):
        super().__init__()
        self.inner, self.in_shape, self.last = inner, tuple(in_shape), last

    def forward(self, x):
        lead = x.shape[:-1]
        z = x.reshape(*lead, *self.in_shape)
        if isinstance(self.inner, torch.nn.RNNBase):
            with torch.backends.cudnn.flags(enabled=False):
                z = self.inner(z)[0]
            z = z[..., -1, :] if self.last else z
        else:
            z = self.inner(z)
        return z.reshape(*lead, -1)


def _build(layer, theta, dev):
    if isinstance(layer, Sequential):
        return torch.nn.Sequential(*(_build(sub, th, dev) for sub, th in zip(layer.layers, theta)))
    if isinstance(layer, Linear):
        module = torch.nn.Linear(layer.d_in, layer.d_out, dtype=torch.float64, device=dev)
        module.weight.copy_(torch.from_numpy(theta["W"]))
        module.bias.copy_(torch.from_numpy(theta["b"]))
        return module
    if isinstance(layer, (Conv1D, Conv2D)):
        conv = torch.nn.Conv1d if isinstance(layer, Conv1D) else torch.nn.Conv2d
        module = conv(layer.c_in, layer.c_out, layer.kernel, padding=layer.padding, dtype=torch.float64, device=dev)
        for key, name in _CONV_NAMES.items():
            getattr(module, name).copy_(torch.from_numpy(theta[key]))
        return _FlatTwin(module, layer.in_shape)
    if isinstance(layer, (RNN, LSTM)):
        rnn = torch.nn.RNN if isinstance(layer, RNN) else torch.nn.LSTM
        module = rnn(layer.input_size, layer.hidden_size, batch_first=True, dtype=torch.float64, device=dev)
        for key, name in _RNN_NAMES.items():
            getattr(module, name).copy_(torch.from_numpy(theta[key]))
        return _FlatTwin(module, layer.in_shape, last=layer.outputs == "last")
    if isinstance(layer, Softmax):
        return torch.nn.Softmax(dim=-1)
    if isinstance(layer, Dropout):
        if theta:
            raise ValueError(f"the twin of {layer!r} is built in evaluation mode: pass {{}}, not a mask")
        return torch.nn.Dropout(layer.p)
    if type(layer) in _ACTIVATIONS:
        return _ACTIVATIONS[type(layer)]()
    raise ValueError(f"no PyTorch twin is defined for {layer!r}")


def thetas_of(net: Layer, module: torch.nn.Module, grad: bool = False):
    """The parameters (or, with ``grad=True``, their ``.grad``) of a twin, shaped like ``net``'s thetas."""
    if isinstance(net, Sequential):
        if not isinstance(module, torch.nn.Sequential) or len(module) != len(net.layers):
            raise ValueError(f"module does not match {net!r}: got {type(module).__name__}")
        return [thetas_of(sub, mod, grad) for sub, mod in zip(net.layers, module)]
    if isinstance(net, Linear):
        pick = (lambda p: p.grad) if grad else (lambda p: p)
        if pick(module.weight) is None:
            raise ValueError(f"the twin of {net!r} has no gradient yet: call backward() first")
        return {"W": to_numpy(pick(module.weight)), "b": to_numpy(pick(module.bias))}
    if isinstance(net, (Conv1D, Conv2D, RNN, LSTM)):
        names = _CONV_NAMES if isinstance(net, (Conv1D, Conv2D)) else _RNN_NAMES
        if not isinstance(module, _FlatTwin):
            raise ValueError(f"module does not match {net!r}: got {type(module).__name__}")
        pick = (lambda p: p.grad) if grad else (lambda p: p)
        if pick(getattr(module.inner, next(iter(names.values())))) is None:
            raise ValueError(f"the twin of {net!r} has no gradient yet: call backward() first")
        return {key: to_numpy(pick(getattr(module.inner, name))) for key, name in names.items()}
    return {}


def loss_fn(loss: _losses.Loss):
    """The same loss in PyTorch, ``f(y_hat, y) -> scalar tensor``, batch-mean as in lecture_code."""

    def batch(y_hat):
        return y_hat.shape[0] if y_hat.dim() == 2 else 1

    if isinstance(loss, _losses.SquaredError):
        return lambda y_hat, y: 0.5 * ((y_hat - y) ** 2).sum() / batch(y_hat)
    if isinstance(loss, _losses.MAE):
        return lambda y_hat, y: F.l1_loss(y_hat, y, reduction="sum") / batch(y_hat)
    if isinstance(loss, _losses.Huber):
        return lambda y_hat, y: F.huber_loss(y_hat, y, reduction="sum", delta=loss.delta) / batch(y_hat)
    if isinstance(loss, _losses.SoftmaxCrossEntropy):
        return lambda y_hat, y: F.cross_entropy(y_hat, y if y.shape == y_hat.shape else y.long())
    raise ValueError(f"no PyTorch version is defined for the loss {loss!r}")


def sgd_reference(net: Layer, thetas, X, Y, loss: _losses.Loss, order, lr, device=None, weight_decay: float = 0.0):
    """The same gradient descent run in PyTorch: ``torch.optim.SGD`` on the twin, replaying ``order``.

    ``order`` is the list of epochs of index arrays that :func:`lecture_code.training.batch_order`
    gives (and :func:`lecture_code.training.train` uses); ``lr`` is a number or a schedule
    ``r -> rho_r``; ``weight_decay`` is PyTorch's (2 lambda for the lecture's lambda sum theta^2).
    Returns the final parameters shaped like ``thetas``.
    """
    module = twin(net, thetas, device)
    dev = next(module.parameters()).device
    Xt = to_torch(X, dev)
    Yt = torch.as_tensor(np.asarray(Y), device=dev)
    Yt = Yt.to(torch.float64) if Yt.is_floating_point() else Yt
    schedule = lr if callable(lr) else (lambda r: lr)
    optimizer = torch.optim.SGD(module.parameters(), lr=float(schedule(1)), weight_decay=weight_decay)
    objective = loss_fn(loss)
    r = 0
    for epoch in order:
        for idx in epoch:
            r += 1
            for group in optimizer.param_groups:
                group["lr"] = float(schedule(r))
            index = torch.as_tensor(np.asarray(idx), device=dev)
            optimizer.zero_grad()
            objective(module(Xt[index]), Yt[index]).backward()
            optimizer.step()
    return thetas_of(net, module)
