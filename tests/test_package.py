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
