"""The package's public surface and its import-time promise (NumPy only)."""

import subprocess
import sys

import pytest

import lecture_code as lc


def test_import_loads_numpy_only():
    code = "import sys, lecture_code; print(sorted(m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names_exist():
    for name in lc.__all__:
        assert hasattr(lc, name), name
    for name in ("squared_error", "mae", "huber", "softmax_cross_entropy"):
        assert hasattr(lc.losses, name), name


def test_lazy_modules_load_on_use_and_unknown_names_fail():
    assert lc.torch_bridge.__name__ == "lecture_code.torch_bridge"
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        lc.nonsense  # noqa: B018


@pytest.mark.parametrize("package", ["plotting", "selfcheck"])
def test_each_chapter_module_is_reexported_without_shadowing(package):
    """lc.plotting.<name> and lc.selfcheck.<name> are the chapter modules' own objects, and no two modules share a name."""
    import importlib
    import pkgutil

    top = importlib.import_module(f"lecture_code.{package}")
    owners = {}
    for info in pkgutil.iter_modules(top.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"lecture_code.{package}.{info.name}")
        assert module.__all__, f"lecture_code.{package}.{info.name} exports nothing"
        for name in module.__all__:
            assert name not in owners, f"{name} is exported by both {owners[name]} and {info.name}"
            owners[name] = info.name
            assert getattr(top, name) is getattr(module, name), f"lc.{package}.{name} is not {info.name}'s"
