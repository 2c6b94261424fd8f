"""CLI start-up time: ``mp --help`` against ``python -c pass`` (goal: mp --help < 0.3 s).

Run by hand: ``.venv/bin/python benchmarks/startup_bench.py [--runs 15]``. Both commands run
alternately in fresh processes in one run, so the ratio is meaningful on a noisy machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    mp = shutil.which("mp", path=str(Path(sys.executable).parent)) or "mp"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "mp --help": [mp, "--help"],
        "mp --version": [mp, "--version"],
    }
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the OS cache once
        _time(argv)
    for _ in range(args.runs):
        for name, argv in commands.items():
            timings[name].append(_time(argv))
    base = statistics.median(timings["python -c pass"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:16s} median {median * 1000:7.1f} ms   ({median / base:4.1f}x python -c pass)")


if __name__ == "__main__":
    main()
