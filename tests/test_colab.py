"""The chapters' setup cell really installs lecture_code where it is missing (as in a fresh Colab runtime).

A fresh virtual environment sees the book's dependencies (NumPy, PyTorch, IPython, ...) but
not lecture_code; the first code cell of a chapter, with its install pointed at this checkout
instead of the repository on GitHub, runs there through IPython (so ``%pip`` is the real magic)
with the package index switched off, and the chapter's imports then succeed.
"""

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CHAPTER = ROOT / "chapters" / "01_function_composition.ipynb"


def setup_cell(path):
    cells = json.loads(path.read_text())["cells"]
    return next("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("colab")
    venv = root / "venv"
    # without pip of its own: the outer environment's pip and setuptools, like its other packages,
    # come in by path, so that the environment is the outer one without lecture_code
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    inner = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                           check=True, capture_output=True, text=True).stdout.strip()
    # the outer environment's packages, by path only: its .pth files (the editable lecture_code) are not run
    Path(inner, "book_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))}
    # VIRTUAL_ENV names the fresh environment: IPython would otherwise add the outer one's site
    # directory, .pth files and all, and find the editable lecture_code there
    env.update(PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", PYTHONNOUSERSITE="1", MPLBACKEND="Agg",
               VIRTUAL_ENV=str(venv))
    work = root / "work"
    work.mkdir()
    return python, env, work


def run(python, env, cwd, code):
    return subprocess.run([str(python), "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_setup_cell_installs_lecture_code_without_network(fresh_env):
    python, env, work = fresh_env
    missing = run(python, env, work, "import lecture_code")
    assert "No module named 'lecture_code'" in missing.stderr, "the fresh environment must not see lecture_code"

    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    source = setup_cell(CHAPTER)
    remote = f"git+{url}@{branch}"
    assert remote in source
    (work / "cell.py").write_text(source.replace(remote, ROOT.as_uri()))
    driver = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "result = shell.run_cell(open('cell.py').read())\n"
        "result.raise_error()\n"
        "result = shell.run_cell('from lecture_code import torch_bridge as tb\\n'\n"
        "                        'X, y = lc.data.load_concrete()\\n'\n"
        "                        'print(lc.__file__, X.shape, tb.pick_device().type in (\"cpu\", \"cuda\"))')\n"
        "result.raise_error()\n"
    )
    done = run(python, env, work, driver)
    assert done.returncode == 0, done.stdout + done.stderr
    installed = Path(done.stdout.strip().splitlines()[-1].split()[0])
    assert ROOT not in installed.parents, f"imported the checkout, not the installed package: {installed}"
    assert "site-packages" in installed.parts and done.stdout.strip().endswith("(1030, 8) True")


def _dry_run(python, env, cwd, requirement, *options):
    """The names ``pip install <requirement>`` would install, from pip's own report."""
    report = Path(cwd) / "report.json"
    done = subprocess.run([str(python), "-m", "pip", "install", "--dry-run", "--no-build-isolation",
                           "--report", str(report), *options, requirement],
                          env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return None, done.stdout + done.stderr
    names = (item["metadata"]["name"] for item in json.loads(report.read_text())["install"])
    return sorted(name.lower().replace("_", "-") for name in names), ""


@pytest.mark.parametrize("extras", ["", "[torch,plot,optimize]"])
def test_installing_lecture_code_changes_nothing_the_runtime_already_has(fresh_env, extras):
    """The setup cell's install adds lecture_code and nothing else where NumPy, PyTorch, matplotlib and
    SciPy already satisfy its floors (as in Colab): it never upgrades or downgrades them."""
    python, env, work = fresh_env
    installs, log = _dry_run(python, env, work, f"lecture_code{extras} @ {ROOT.as_uri()}")
    assert installs == ["lecture-code"], f"installing lecture_code{extras} would also install {installs}: {log}"


def test_the_dry_run_sees_a_dependency_it_would_change(fresh_env):
    """The control: asked for another NumPy than the runtime's, the same dry run wants to install it
    (and, offline, cannot)."""
    python, env, work = fresh_env
    import numpy

    other = "1.25.0" if numpy.__version__ != "1.25.0" else "1.26.4"
    (work / "constraints.txt").write_text(f"numpy=={other}\n")
    installs, log = _dry_run(python, env, work, f"lecture_code @ {ROOT.as_uri()}", "-c", "constraints.txt")
    assert installs is None and "numpy" in log, f"expected pip to want numpy {other}: {installs} {log[-800:]}"
