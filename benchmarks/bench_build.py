"""Time the book's build and its tests, as an instructor and CI run them.

    python benchmarks/bench_build.py [--skip-pytest]

1. a clean build: ``_build`` removed, every chapter executed (``jupyter-book build . -W -n --keep-going``);
2. the same command again with nothing changed (executed chapters come from the cache);
3. the full test command, ``pytest`` (unit tests, every chapter through nbval, the site checks).

Targets on a 2-core machine: clean build <= 120 s, unchanged rebuild <= 10 s, pytest <= 180 s.
It deletes and rebuilds ``_build``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", ".", "-W", "-n", "--keep-going"]


def timed(label, command, target):
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(f"{label} failed (exit {done.returncode})")
    verdict = "within" if seconds <= target else "OVER"
    print(f"{label:<34}{seconds:8.1f} s   (target {target} s: {verdict})")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-pytest", action="store_true")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    timed("clean build (all chapters run)", BUILD, 120)
    timed("rebuild, nothing changed", BUILD, 10)
    if not args.skip_pytest:
        timed("pytest (everything)", [sys.executable, "-m", "pytest", "-q"], 180)


if __name__ == "__main__":
    main()
