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
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
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
