"""Time the book's build and its tests, as an instructor and CI run them.

    python benchmarks/bench_build.py [--skip-pytest]

1. a clean build: ``_build`` removed, every chapter executed (``jupyter-book build . -W -n --keep-going``),
   with how long each chapter ran (the chapters run side by side, one per core:
   ``_ext/parallel_execution.py``);
2. the same command again with nothing changed (executed chapters come from the cache);
3. the full test command, ``pytest`` (on every core: the unit tests, every chapter through
   nbval, every chapter with another seed and its student edition, the site and the PDF).

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


def chapter_times():
    """How long each chapter ran in the clean build, from the execution cache's records."""
    from jupyter_cache import get_cache

    records = get_cache(ROOT / "_build" / ".jupyter_cache").list_cache_records()
    seconds = {Path(r.uri).stem: r.data.get("execution_seconds", float("nan")) for r in records}
    for name in sorted(seconds):
        print(f"  {name:<32}{seconds[name]:8.1f} s")
    print(f"  {'sum (run one after another)':<32}{sum(seconds.values()):8.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-pytest", action="store_true")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    timed("clean build (all chapters run)", BUILD, 120)
    chapter_times()
    timed("rebuild, nothing changed", BUILD, 10)
    if not args.skip_pytest:
        timed("pytest (everything)", [sys.executable, "-m", "pytest", "-q"], 180)


if __name__ == "__main__":
    main()
