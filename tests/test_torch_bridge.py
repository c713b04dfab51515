"""The PyTorch bridge: device choice, conversion, twins."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

import lecture_code as lc
from lecture_code import torch_bridge as tb


def test_lecture_device_overrides_the_choice(monkeypatch):
    monkeypatch.setenv("LECTURE_DEVICE", "cpu")
    assert tb.pick_device() == torch.device("cpu")
    assert tb.available_devices() == ["cpu"]


def test_default_device_is_cuda_when_present_else_cpu(monkeypatch):
    monkeypatch.delenv("LECTURE_DEVICE", raising=False)
    assert tb.pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert tb.available_devices()[0] == "cpu"
    assert ("cuda" in tb.available_devices()) == torch.cuda.is_available()


@pytest.mark.parametrize("name,pattern", [
    ("mps", r"MPS has no float64"),
    ("tpu", r"device must be 'cpu' or 'cuda' \(LECTURE_DEVICE too\), got 'tpu'"),
])
def test_unusable_devices_are_refused(name, pattern, monkeypatch):
    with pytest.raises(ValueError, match=pattern):
        tb.pick_device(name)
    monkeypatch.setenv("LECTURE_DEVICE", name)
    with pytest.raises(ValueError, match=pattern):
        tb.pick_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_requested_without_a_gpu_is_refused(monkeypatch):
    monkeypatch.setenv("LECTURE_DEVICE", "cuda")
    with pytest.raises(ValueError, match=r"torch.cuda.is_available\(\) is False"):
        tb.available_devices()


def test_conversion_is_float64_and_round_trips(device):
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    t = tb.to_torch(a, device, requires_grad=True)
    assert t.dtype == torch.float64 and t.device.type == device and t.requires_grad
    back = tb.to_numpy(t)
    assert back.dtype == np.float64 and np.array_equal(back, a)


def test_twin_copies_the_parameters_and_structure(device):
    net = lc.Sequential([lc.Sequential([lc.Linear(3, 4), lc.Tanh()]), lc.Linear(4, 2), lc.Softmax()])
    thetas = net.init(0)
    module = tb.twin(net, thetas, device)
    assert isinstance(module[0], torch.nn.Sequential) and isinstance(module[0][1], torch.nn.Tanh)
    assert isinstance(module[2], torch.nn.Softmax) and module[2].dim == -1
    assert all(p.dtype == torch.float64 for p in module.parameters())
    back = tb.thetas_of(net, module)
    assert_allclose(back[0][0]["W"], thetas[0][0]["W"], rtol=0, atol=0)
    assert_allclose(back[1]["b"], thetas[1]["b"], rtol=0, atol=0)
    assert back[0][1] == {} and back[2] == {}


def test_twin_refuses_what_it_cannot_copy():
    class Cube(lc.layers.Elementwise):
        def _phi(self, x):
            return x**3

        def _dphi(self, x):
            return 3 * x**2

    with pytest.raises(ValueError, match=r"no PyTorch twin is defined for Cube\(\)"):
        tb.twin(lc.Sequential([Cube()]), [{}])
    with pytest.raises(ValueError, match=r"twin expects a lecture_code Layer, got function"):
        tb.twin(lambda x: x, [])
    with pytest.raises(ValueError, match=r"list of 1 entries"):
        tb.twin(lc.Sequential([lc.Linear(2, 2)]), [])


def test_thetas_of_needs_a_backward_pass_for_gradients():
    net = lc.mlp([2, 2])
    module = tb.twin(net, net.init(0), "cpu")
    with pytest.raises(ValueError, match=r"no gradient yet: call backward\(\) first"):
        tb.thetas_of(net, module, grad=True)
    with pytest.raises(ValueError, match=r"module does not match"):
        tb.thetas_of(lc.mlp([2, 3, 2]), module)


def test_loss_fn_refuses_unknown_losses():
    class Zero(lc.losses.Loss):
        name = "zero"

    with pytest.raises(ValueError, match=r"no PyTorch version is defined for the loss zero"):
        tb.loss_fn(Zero())


def test_grad_fn_graph_lists_what_backward_walks(device):
    x = tb.to_torch(np.ones(3), device, requires_grad=True)
    w = tb.to_torch(np.full(3, 2.0), device, requires_grad=True)
    y = (x * w + w).sum()
    graph = tb.grad_fn_graph(y)
    assert [name for name, _ in graph] == ["SumBackward0", "AddBackward0", "MulBackward0", "AccumulateGrad",
                                           "AccumulateGrad"]
    assert graph[1][1] == ["MulBackward0", "AccumulateGrad"]  # w feeds the sum directly and the product
    assert len([name for name, _ in graph if name == "AccumulateGrad"]) == 2  # one node per leaf: x and w
    with pytest.raises(ValueError, match="grad_fn_graph expects a tensor made from tensors that require grad"):
        tb.grad_fn_graph(x.detach())
