import os
import subprocess
import sys

import matplotlib
import pytest

# Every test draws off screen: one backend for the whole run, set before any test imports pyplot.
matplotlib.use("Agg")

# Kernels that nbval starts inherit this: one BLAS thread per kernel keeps the chapters fast and
# steady on a small shared machine (a busy second core slows multithreaded matrix products tenfold).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew, so they do not pile up (matplotlib warns after twenty)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Each PyTorch cross-check runs on every available device; a missing one is skipped with its reason."""
    from lecture_code import torch_bridge

    if request.param not in torch_bridge.available_devices():
        override = os.environ.get("LECTURE_DEVICE")
        reason = f"LECTURE_DEVICE={override} selects another device" if override else "no CUDA device on this machine"
        pytest.skip(f"{request.param}: {reason}")
    return request.param


@pytest.fixture(scope="session")
def build_lock():
    """One build of the book at a time: the HTML and PDF builds share ``_build`` (its doctrees, its cache)."""
    from filelock import FileLock

    build = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_build")
    os.makedirs(build, exist_ok=True)
    return FileLock(os.path.join(build, ".tests-build.lock"))


@pytest.fixture(scope="session")
def build_book():
    """``build_book(folder, *options)``: ``jupyter-book build folder -W -n --keep-going *options``, as the README
    runs it, in this Python; returns the finished process (its output captured)."""
    def run(folder, *options, timeout=1800):
        command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(folder),
                   "-W", "-n", "--keep-going", *options]
        return subprocess.run(command, capture_output=True, text=True, cwd=folder, timeout=timeout)
    return run
