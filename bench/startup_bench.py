"""Start-up of ``sagectl validate specs --env dev`` (the example tree), as a user sees it.

    python -m bench.startup_bench [--runs 10] [--importtime 15]

Runs the command N times as a subprocess and prints min and median of wall and CPU time (user +
system of the child), the load average (a busy machine inflates wall time: compare CPU time),
then the modules with the largest cumulative import time (``python -X importtime``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "reconciler", "validate", "specs", "--env", "dev"]


def _once() -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(COMMAND, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _importtime(top: int) -> list[tuple[int, str]]:
    run = subprocess.run([sys.executable, "-X", "importtime", *COMMAND[1:]], cwd=REPO,
                         capture_output=True, text=True, check=True)
    rows = []
    for line in run.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--importtime", type=int, default=15, metavar="N",
                        help="modules to list by cumulative import time")
    args = parser.parse_args()
    _once()  # warm the file cache and the bytecode
    walls, cpus = zip(*(_once() for _ in range(args.runs)), strict=True)
    print(f"sagectl validate specs --env dev, {args.runs} runs: "
          f"wall min {min(walls):.3f} s, median {statistics.median(walls):.3f} s; "
          f"CPU min {min(cpus):.3f} s, median {statistics.median(cpus):.3f} s; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("largest cumulative import times (microseconds):")
    for micros, module in _importtime(args.importtime):
        print(f"  {micros:>9}  {module}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
