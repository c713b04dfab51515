"""The layer contract: three primitives a subclass defines, everything else derived, nothing bypassed.

A subclass that redefines ``_forward``, ``_jvp`` and ``_vjp`` (or, for an elementwise
activation, ``_phi`` and ``_dphi``) must be what ``vjp``, ``vjp_input``, ``jacobian``,
``jacobian_via_vjps``, ``backprop`` and training compute with, even where its parent has
faster shortcuts of its own.
"""

import ast
import pathlib

import numpy as np
import pytest
import torch
from cases import NAMES, make, out_size
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import torch_bridge as tb
from lecture_code.layers import Layer

TIGHT = dict(rtol=1e-10, atol=1e-12)

# every built-in layer class, as a factory of one instance and the input width it takes
BUILT_IN = {
    "Linear": (lambda: lc.Linear(3, 4), 3),
    "ReLU": (lc.ReLU, 4),
    "Sigmoid": (lc.Sigmoid, 4),
    "Tanh": (lc.Tanh, 4),
    "Softmax": (lc.Softmax, 4),
    "Identity": (lc.Identity, 4),
    "Dropout": (lambda: lc.Dropout(0.5), 4),
    "Conv1D": (lambda: lc.Conv1D(2, 3, 2, 4), 8),
    "Conv2D": (lambda: lc.Conv2D(1, 2, 2, (3, 3)), 9),
    "RNN": (lambda: lc.RNN(2, 3, 3), 6),
    "LSTM": (lambda: lc.LSTM(2, 3, 3), 6),
    "Sequential": (lambda: lc.Sequential([lc.Linear(3, 4), lc.Tanh(), lc.Linear(4, 3)]), 3),
}


def doubled_by_primitives(cls):
    """``2 f``, written the documented way: redefine the three primitives, calling the parent's."""

    class Doubled(cls):
        def _forward(self, x, theta):
            return 2.0 * super()._forward(x, theta)

        def _jvp(self, x, theta, v):
            return 2.0 * super()._jvp(x, theta, v)

        def _vjp(self, x, theta, u):
            x_bar, theta_bar = super()._vjp(x, theta, u)
            return 2.0 * x_bar, lc.params.tree_map(lambda a: 2.0 * a, theta_bar)

    return Doubled


def doubled_by_phi(cls):
    """``2 phi``, written the documented way for an elementwise activation: redefine _phi and _dphi."""

    class Doubled(cls):
        def _phi(self, x):
            return 2.0 * super()._phi(x)

        def _dphi(self, x):
            return 2.0 * super()._dphi(x)

    return Doubled


def variants():
    for name, (factory, d) in BUILT_IN.items():
        yield pytest.param(name, factory, d, doubled_by_primitives, id=f"{name}: primitives")
        if isinstance(factory(), lc.Elementwise):
            yield pytest.param(name, factory, d, doubled_by_phi, id=f"{name}: phi and dphi")


def instance_of(subclass, base):
    """An instance of ``subclass`` configured as ``base`` (same sizes and settings, no constructor call)."""
    layer = object.__new__(subclass)
    layer.__dict__.update(base.__dict__)
    return layer


def masked(layer, shape, rng):
    """The function of one training update on inputs of ``shape`` (for Dropout: a fixed mask)."""
    return layer.for_update(rng, shape)


@pytest.mark.parametrize("name, factory, d, how", list(variants()))
def test_a_subclass_is_never_bypassed(name, factory, d, how):
    rng = np.random.default_rng(0)
    base = masked(factory(), (d,), rng)
    layer = instance_of(how(type(base)), base)
    theta = base.init(1)
    x, v = rng.normal(size=d), rng.normal(size=d)
    m = out_size(base, x)
    u = rng.normal(size=m)
    J = 2.0 * base.jacobian(x, theta)
    assert_allclose(layer.forward(x, theta), 2.0 * base.forward(x, theta), **TIGHT)
    assert_allclose(layer.jacobian(x, theta), J, **TIGHT, err_msg=f"{name}: jacobian")
    assert_allclose(layer.jvp(x, theta, v), J @ v, **TIGHT, err_msg=f"{name}: jvp != J v")
    x_bar, theta_bar = layer.vjp(x, theta, u)
    assert_allclose(x_bar, J.T @ u, **TIGHT, err_msg=f"{name}: vjp != J^T u")
    assert_allclose(layer.vjp_input(x, theta, u), J.T @ u, **TIGHT, err_msg=f"{name}: vjp_input != J^T u")
    y, pullback = layer._forward_vjp(x, theta)
    assert_allclose(y, 2.0 * base.forward(x, theta), **TIGHT)
    assert_allclose(pullback(u)[0], J.T @ u, **TIGHT, err_msg=f"{name}: the pullback backprop uses")
    assert_allclose(lc.jacobian_via_vjps(layer, x, theta), J, **TIGHT, err_msg=f"{name}: M VJPs")
    assert_allclose(lc.jacobian_via_jvps(layer, x, theta), J, **TIGHT, err_msg=f"{name}: D JVPs")
    base_bar = base.vjp(x, theta, u)[1]
    assert_allclose(lc.params.flatten(theta_bar), 2.0 * lc.params.flatten(base_bar), **TIGHT)


def test_the_issue_example_two_times_sigmoid():
    class TwoSigmoid(lc.Sigmoid):
        def _phi(self, x):
            return 2.0 * super()._phi(x)

        def _dphi(self, x):
            return 2.0 * super()._dphi(x)

    x, u = np.array([0.3]), np.array([1.0])
    J = TwoSigmoid().jacobian(x)
    assert J[0, 0] == pytest.approx(0.4889, abs=1e-4)
    _, grads = lc.backprop(lc.Sequential([TwoSigmoid()]), [{}], x, u, lc.losses.squared_error)
    assert TwoSigmoid().vjp(x, {}, u)[0][0] == pytest.approx(J[0, 0], rel=1e-14)
    y, pullback = TwoSigmoid()._forward_vjp(x, {})
    assert pullback(u)[0][0] == pytest.approx(J[0, 0], rel=1e-14)


@pytest.mark.parametrize("name, factory, d, how", list(variants()))
def test_backprop_through_a_subclass_equals_pytorch(name, factory, d, how, device):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5, d))
    base = masked(factory(), X.shape, rng)
    layer = instance_of(how(type(base)), base)
    m = base.output_size(d)
    head = lc.Linear(m, 2)
    net = lc.Sequential([layer, head])
    thetas = [base.init(3), head.init(4)]
    Y = rng.normal(size=(X.shape[0], 2))
    value, grads = lc.backprop(net, thetas, X, Y, lc.losses.squared_error)
    # PyTorch: the twin of the base layer, times two, then the twin of the head
    inner, outer = tb.twin(base, thetas[0], device), tb.twin(head, thetas[1], device)
    loss_t = tb.loss_fn(lc.losses.squared_error)(outer(2.0 * inner(tb.to_torch(X, device))), tb.to_torch(Y, device))
    loss_t.backward()
    assert value == pytest.approx(loss_t.item(), rel=1e-12)
    torch_grads = [tb.thetas_of(base, inner, grad=True) if thetas[0] else {}, tb.thetas_of(head, outer, grad=True)]
    assert_allclose(lc.params.flatten(grads), lc.params.flatten(torch_grads), rtol=1e-10, atol=1e-12,
                    err_msg=f"{name}: backprop through the subclass vs torch.autograd on {device}")


def test_redefining_a_primitive_brings_back_the_derived_shortcuts():
    class Broken(lc.Linear):
        def _vjp(self, x, theta, u):
            return u @ theta["W"].T, {"W": 0 * theta["W"], "b": 0 * theta["b"]}

    for shortcut in Layer._shortcuts:
        assert getattr(Broken, shortcut) is getattr(Layer, shortcut), shortcut
    assert lc.Linear._vjp_input is not Layer._vjp_input  # the built-in keeps its own
    assert lc.Sigmoid._forward_vjp is not Layer._forward_vjp and lc.Tanh._forward_vjp is not Layer._forward_vjp

    class Own(lc.Linear):  # a shortcut defined beside the primitive is the author's to keep consistent
        def _vjp(self, x, theta, u):
            return super()._vjp(x, theta, u)

        def _vjp_input(self, x, theta, u):
            return u @ theta["W"]

    assert Own._vjp_input is not Layer._vjp_input and Own._jacobian is Layer._jacobian

    class OnlyAShortcut(lc.Linear):  # no primitive redefined: every inherited shortcut stays
        def _jacobian(self, x, theta):
            return super()._jacobian(x, theta)

    assert OnlyAShortcut._vjp_input is lc.Linear._vjp_input


@pytest.mark.parametrize("name", NAMES)
def test_every_shortcut_agrees_with_its_derivation(name):
    """What a built-in layer computes faster is what the generic derivation from its primitives gives."""
    layer, theta, x = make(name, seed=9)
    U = np.random.default_rng(10).normal(size=(3, out_size(layer, x)))
    theta = layer._check_theta(theta)
    assert_allclose(layer._jacobian(x, theta), Layer._jacobian(layer, x, theta), **TIGHT)
    assert_allclose(layer._vjp_input(x, theta, U), Layer._vjp_input(layer, x, theta, U), **TIGHT)
    y, pullback = layer._forward_vjp(x, theta)
    y_generic, pullback_generic = Layer._forward_vjp(layer, x, theta)
    assert_allclose(y, y_generic, **TIGHT)
    assert_allclose(pullback(U)[0], pullback_generic(U)[0], **TIGHT)
    assert_allclose(lc.params.flatten(pullback(U)[1]), lc.params.flatten(pullback_generic(U)[1]), **TIGHT)
    X = np.random.default_rng(11).normal(size=(2, x.shape[0]))
    assert_allclose(layer._jacobian(X, theta), Layer._jacobian(layer, X, theta), **TIGHT)


def test_the_input_only_vjp_never_computes_the_parameter_part():
    class InputOnly(lc.Linear):
        def _vjp(self, x, theta, u):
            raise AssertionError("the parameter part was computed")

        def _vjp_input(self, x, theta, u):
            return u @ theta["W"]

    net = lc.Sequential([InputOnly(3, 5), lc.Tanh(), InputOnly(5, 2)])
    thetas = net.init(0)
    x = np.random.default_rng(1).normal(size=3)
    J = net.jacobian(x, thetas)
    assert_allclose(lc.jacobian_via_vjps(net, x, thetas), J, **TIGHT)
    assert_allclose(lc.cost.jacobian_by(net, thetas, x, "reverse"), J, **TIGHT)
    assert_allclose(net.vjp_input(x, thetas, np.ones(2)), J.T @ np.ones(2), **TIGHT)
    with pytest.raises(AssertionError, match="parameter part"):
        net.vjp(x, thetas, np.ones(2))


@pytest.mark.parametrize("name", NAMES)
def test_param_spec_describes_init(name):
    layer, theta, _ = make(name)
    spec = layer.param_spec()
    shapes = lc.params.tree_map(lambda p: p.shape, spec)
    assert lc.params.tree_map(np.shape, theta) == shapes
    for _, p in lc.params.leaves(spec):
        assert p.role in ("weight", "bias")


def test_walking_a_network_is_the_network_s_job():
    inner = lc.Sequential([lc.Linear(3, 4), lc.ReLU()])
    net = lc.Sequential([inner, lc.Dropout(0.5), lc.Linear(4, 2)])
    thetas = net.init(0)
    assert [type(layer).__name__ for layer, _ in net.leaves(thetas)] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert net.leaves(thetas)[0][1] is thetas[0][0]
    assert net.map_leaves(lambda layer, th: repr(layer)) == [["Linear(3 -> 4)", "ReLU()"], "Dropout(p=0.5)",
                                                             "Linear(4 -> 2)"]
    assert inner.for_update(0, (5, 3)) is inner  # nothing random: the same network
    drawn = net.for_update(np.random.default_rng(1), (5, 3))
    assert drawn is not net and drawn.layers[0] is inner and drawn.layers[1].mask.shape == (5, 4)
    assert net.layers[1].mask is None  # the network itself is unchanged


def test_no_module_decides_a_layer_s_behaviour_by_its_class():
    """Outside the module that defines a layer class, no code asks isinstance(..., ThatClass)."""
    root = pathlib.Path(lc.__file__).parent
    layer_classes = {"Layer", "Elementwise", "Sequential", "Linear", "ReLU", "Sigmoid", "Tanh", "Softmax", "Identity",
                     "Dropout", "Conv1D", "Conv2D", "RNN", "LSTM", "_Recurrent", "_Conv"}
    defined_in = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.name in layer_classes:
                defined_in[node.name] = path
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                names = [n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)]
                names += [n.attr for n in ast.walk(node.args[1])  # lc.Sequential, not torch.nn.Sequential
                          if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "lc"]
                for name in names:
                    # checking that an argument is a Layer at all is a type check, not a decision about behaviour
                    if name in layer_classes - {"Layer"} and defined_in.get(name) != path:
                        found.append(f"{path.relative_to(root)}:{node.lineno} isinstance(..., {name})")
    assert found == []


def test_torch_twins_exist_only_for_the_classes_they_translate():
    class Scaled(lc.Tanh):
        def _phi(self, x):
            return 3 * np.tanh(x)

        def _dphi(self, x):
            return 3 * (1 - np.tanh(x) ** 2)

    with pytest.raises(ValueError, match=r"no PyTorch twin is defined for Scaled\(\)"):
        tb.twin(lc.Sequential([lc.Linear(2, 2), Scaled()]), lc.Sequential([lc.Linear(2, 2), Scaled()]).init(0))
    assert isinstance(tb.twin(lc.Tanh(), {}), torch.nn.Tanh)
