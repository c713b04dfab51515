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


def twin(net: Layer, thetas, device=None) -> torch.nn.Module:
    """The PyTorch module computing the same function as ``net`` with parameters ``thetas``.

    ``Linear`` becomes ``nn.Linear`` (same ``W : (M, D)`` layout), activations their
    ``nn`` namesakes, ``Softmax`` ``nn.Softmax(dim=-1)``, ``Dropout(p)`` ``nn.Dropout(p)``
    (and a ``Dropout`` with a fixed mask a module that multiplies by that mask),
    ``Conv1D``/``Conv2D``/``RNN``/``LSTM`` their ``nn`` layers wrapped to take flat inputs,
    ``Sequential`` ``nn.Sequential``. The module is returned in evaluation mode (dropout off).
    Only these layer classes have twins: a subclass computes a function of its own, and asking
    for its twin raises ``ValueError``.
    """
    if not isinstance(net, Layer):
        raise ValueError(f"twin expects a lecture_code Layer, got {type(net).__name__}")
    thetas = net._check_theta(thetas)
    dev = pick_device(device)
    with torch.no_grad():
        return _nest(net.map_leaves(lambda layer, theta: _leaf_twin(layer, theta, dev), thetas)).eval()


def _nest(tree):
    """Nested lists of modules (what ``map_leaves`` returns for a ``Sequential``) as nested ``nn.Sequential``."""
    return torch.nn.Sequential(*map(_nest, tree)) if isinstance(tree, list) else tree


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


class _Masked(torch.nn.Module):
    """``x * mask``: the twin of ``Dropout(p, mask=m)``, the function of one training update."""

    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, x):
        return x * self.mask


def _linear(layer, dev):
    return torch.nn.Linear(layer.d_in, layer.d_out, dtype=torch.float64, device=dev)


def _conv(layer, dev):
    conv = torch.nn.Conv1d if len(layer.kernel) == 1 else torch.nn.Conv2d
    return _FlatTwin(conv(layer.c_in, layer.c_out, layer.kernel, padding=layer.padding,
                          dtype=torch.float64, device=dev), layer.in_shape)


def _recurrent(module):
    def build(layer, dev):
        inner = module(layer.input_size, layer.hidden_size, batch_first=True, dtype=torch.float64, device=dev)
        return _FlatTwin(inner, layer.in_shape, last=layer.outputs == "last")
    return build


def _dropout(layer, dev):
    if layer.mask is None:
        return torch.nn.Dropout(layer.p)
    return _Masked(to_torch(layer.mask, dev))


def _plain(module):
    return lambda layer, dev: module()


# Each layer class and its twin: (build(layer, device) -> module, {theta key: the twin's parameter name}).
# Keyed by the exact class: a subclass of one of these computes its own function and has no twin here.
_CONV_NAMES = {"W": "weight", "b": "bias"}
_RNN_NAMES = {"W_ih": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_ih": "bias_ih_l0", "b_hh": "bias_hh_l0"}
_TWINS = {
    Linear: (_linear, {"W": "weight", "b": "bias"}),
    Conv1D: (_conv, _CONV_NAMES),
    Conv2D: (_conv, _CONV_NAMES),
    RNN: (_recurrent(torch.nn.RNN), _RNN_NAMES),
    LSTM: (_recurrent(torch.nn.LSTM), _RNN_NAMES),
    ReLU: (_plain(torch.nn.ReLU), {}),
    Sigmoid: (_plain(torch.nn.Sigmoid), {}),
    Tanh: (_plain(torch.nn.Tanh), {}),
    Identity: (_plain(torch.nn.Identity), {}),
    Softmax: (lambda layer, dev: torch.nn.Softmax(dim=-1), {}),
    Dropout: (_dropout, {}),
}


def _entry(layer):
    if type(layer) not in _TWINS:
        raise ValueError(f"no PyTorch twin is defined for {layer!r} (a {type(layer).__name__}); twins exist for "
                         f"{', '.join(cls.__name__ for cls in _TWINS)} and Sequential")
    return _TWINS[type(layer)]


def _owner(module):
    """The module that holds the parameters: the wrapped ``nn`` layer of a flat twin."""
    return module.inner if isinstance(module, _FlatTwin) else module


def _leaf_twin(layer, theta, dev):
    build, names = _entry(layer)
    module = build(layer, dev)
    for key, name in names.items():
        getattr(_owner(module), name).copy_(torch.from_numpy(theta[key]))
    return module


def _leaf_modules(module) -> list:
    """The modules of a twin in the order its leaves act (nested ``nn.Sequential`` flattened)."""
    if isinstance(module, torch.nn.Sequential):
        return [leaf for sub in module for leaf in _leaf_modules(sub)]
    return [module]


def named_parameters(net: Layer, module: torch.nn.Module):
    """``[(tensor, role), ...]``: the twin's parameters with the role ``net``'s layers declare for each.

    For parameter groups that treat weights and biases differently (weight decay on the
    weights only), as :func:`sgd_reference` builds them.
    """
    found = []

    def collect(layer, leaf):
        _, names = _entry(layer)
        for key, p in layer.param_spec().items():
            found.append((getattr(_owner(leaf), names[key]), p.role))

    _zip_leaves(net, module, collect)
    return found


def _zip_leaves(net, module, fn):
    """``net.map_leaves`` with each leaf paired with its module in the twin."""
    leaves = _leaf_modules(module)
    n_leaves = len(net.leaves())
    if len(leaves) != n_leaves:
        raise ValueError(f"module does not match {net!r}: it has {len(leaves)} leaf modules, the network "
                         f"{n_leaves} layers")
    modules = iter(leaves)
    return net.map_leaves(lambda layer, _: fn(layer, next(modules)))


def thetas_of(net: Layer, module: torch.nn.Module, grad: bool = False):
    """The parameters (or, with ``grad=True``, their ``.grad``) of a twin, shaped like ``net``'s thetas."""

    def read(layer, leaf):
        _, names = _entry(layer)
        out = {}
        for key, name in names.items():
            p = getattr(_owner(leaf), name, None)
            if p is None:
                raise ValueError(f"module does not match {net!r}: {type(leaf).__name__} has no {name}")
            value = p.grad if grad else p
            if value is None:
                raise ValueError(f"the twin of {layer!r} has no gradient yet: call backward() first")
            out[key] = to_numpy(value)
        return out

    return _zip_leaves(net, module, read)


def grad_fn_graph(tensor: torch.Tensor) -> list:
    """PyTorch's record of how ``tensor`` was made: ``[(node, [the nodes it sends cotangents to]), ...]``.

    Each node is named as PyTorch names it (``"MmBackward0"``, ``"AddBackward0"``, and
    ``"AccumulateGrad"`` for a leaf that wants a gradient); the list starts at
    ``tensor.grad_fn`` and follows ``next_functions``, each node once, in the order first
    reached. This is the graph ``tensor.backward()`` walks.
    """
    if not isinstance(tensor, torch.Tensor) or tensor.grad_fn is None:
        raise ValueError(f"grad_fn_graph expects a tensor made from tensors that require grad, got "
                         f"{type(tensor).__name__}{'' if not isinstance(tensor, torch.Tensor) else ' without grad_fn'}")
    names, order, queue = {}, [], [tensor.grad_fn]
    while queue:
        fn = queue.pop(0)
        if fn in names:
            continue
        names[fn] = f"{type(fn).__name__}"
        order.append(fn)
        queue.extend(nxt for nxt, _ in fn.next_functions if nxt is not None)
    return [(names[fn], [names[nxt] for nxt, _ in fn.next_functions if nxt is not None]) for fn in order]


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


def backprop_reference(net: Layer, thetas, X, Y, loss: _losses.Loss, device=None):
    """``(value, grads)`` as PyTorch computes them: autograd on the twin of ``net``, in float64.

    The reference for :func:`lecture_code.backprop` (same arguments, same return): the loss of
    the batch ``X`` against ``Y`` (targets, or integer labels for a cross-entropy) and its
    gradient for every parameter, shaped like ``thetas``.
    """
    _losses.check_loss(loss, "backprop_reference")
    module = twin(net, thetas, device)
    value = loss_fn(loss)(module(to_torch(X, device)), to_torch(Y, device))
    value.backward()
    return value.item(), thetas_of(net, module, grad=True)


def _torch_optimizer(optimizer, params, lr):
    """The ``torch.optim`` optimizer with the same rule and hyperparameters as a lecture_code one."""
    from . import optimizers as opt

    kind = type(optimizer)
    if optimizer is None:
        return torch.optim.SGD(params, lr=lr)
    if kind is opt.SGD:
        return torch.optim.SGD(params, lr=lr, momentum=optimizer.momentum, dampening=optimizer.dampening,
                               nesterov=optimizer.nesterov, weight_decay=optimizer.weight_decay)
    if kind is opt.RMSprop:
        return torch.optim.RMSprop(params, lr=lr, alpha=optimizer.alpha, eps=optimizer.eps,
                                   momentum=optimizer.momentum, weight_decay=optimizer.weight_decay)
    if kind in (opt.Adam, opt.AdamW):
        make = torch.optim.Adam if kind is opt.Adam else torch.optim.AdamW
        return make(params, lr=lr, betas=tuple(optimizer.betas), eps=optimizer.eps,
                    weight_decay=optimizer.weight_decay)
    raise ValueError(f"no torch.optim optimizer is defined for {optimizer!r}")


def train_reference(net: Layer, thetas, X, Y, loss: _losses.Loss, order, lr, optimizer=None, device=None,
                    clip_norm=None, clip_value=None, weight_decay: float = 0.0, decay_biases: bool = True):
    """The same training run in PyTorch: ``torch.optim`` on the twin, replaying the batches of ``order``.

    ``order`` is the list of epochs of index arrays that :func:`lecture_code.training.batch_order`
    gives (and :func:`lecture_code.training.train` uses); ``lr`` is a number or a schedule
    ``r -> rho_r``; ``optimizer`` is a :mod:`lecture_code.optimizers` object (None: plain SGD),
    translated to its ``torch.optim`` namesake; ``clip_norm`` / ``clip_value`` call
    ``clip_grad_norm_`` / ``clip_grad_value_`` between backward and step. For plain SGD,
    ``weight_decay`` is PyTorch's (2 lambda for the lecture's lambda sum theta^2), and with
    ``decay_biases=False`` the optimizer gets two parameter groups, the weights with
    ``weight_decay`` and the biases without, by the roles the layers declare.
    Returns the final parameters shaped like ``thetas``.
    """
    module = twin(net, thetas, device)
    dev = pick_device(device)
    Xt = to_torch(X, dev)
    Yt = torch.as_tensor(np.asarray(Y), device=dev)
    Yt = Yt.to(torch.float64) if Yt.is_floating_point() else Yt
    schedule = lr if callable(lr) else (lambda r: lr)
    params = named_parameters(net, module)
    if decay_biases:
        groups = [{"params": [t for t, _ in params], "weight_decay": weight_decay}]
    else:
        groups = [{"params": [t for t, role in params if role == "weight"], "weight_decay": weight_decay},
                  {"params": [t for t, role in params if role != "weight"], "weight_decay": 0.0}]
    groups = [g for g in groups if g["params"]]
    if optimizer is not None:
        if weight_decay or not decay_biases:
            raise ValueError("train_reference expects weight decay in the optimizer when one is given, "
                             f"got weight_decay={weight_decay!r} and decay_biases={decay_biases!r} as well")
        groups = [{"params": [t for t, _ in params]}]
    torch_opt = _torch_optimizer(optimizer, groups, float(schedule(1)))
    objective = loss_fn(loss)
    r = 0
    for epoch in order:
        for idx in epoch:
            r += 1
            for group in torch_opt.param_groups:
                group["lr"] = float(schedule(r))
            index = torch.as_tensor(np.asarray(idx), device=dev)
            torch_opt.zero_grad()
            objective(module(Xt[index]), Yt[index]).backward()
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(module.parameters(), clip_norm)
            if clip_value is not None:
                torch.nn.utils.clip_grad_value_(module.parameters(), clip_value)
            torch_opt.step()
    return thetas_of(net, module)


def sgd_reference(net: Layer, thetas, X, Y, loss: _losses.Loss, order, lr, device=None,
                  weight_decay: float = 0.0, decay_biases: bool = True):
    """:func:`train_reference` with plain ``torch.optim.SGD``: PyTorch's ``weight_decay`` is 2 lambda for eq 33."""
    return train_reference(net, thetas, X, Y, loss, order, lr, None, device, weight_decay=weight_decay,
                           decay_biases=decay_biases)
