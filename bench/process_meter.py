"""Wall time, CPU time and peak memory of one command and of the processes it starts (Linux).

- CPU time and the peak of the whole process tree are exact: ``wait4`` returns the command's
  resource usage including every child it waited for (``ru_maxrss`` is then the largest single
  process of the tree, not a sum).
- Which process that was (the command itself or its largest child) is sampled: ``VmHWM`` (the
  peak resident set so far) of the command and of each child, read from ``/proc`` every
  ``interval`` seconds. A child's growth in its last interval before it exits can be missed
  (a sampled peak can be lower than the exact one; the two counters may also differ by a few
  hundred kB).

Why a launcher (``_LAUNCHER``, a bare ``python -S``) starts the command rather than this process:
Linux keeps a process's ``ru_maxrss`` across ``exec`` and counts in it the memory of the process
it was forked from, so a command started from this (large) process would report this process's
peak as its own. The launcher is ~11 MB, less than any ``sagectl`` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path


def status_kb(pid: int, key: str) -> int:
    """``key`` (``VmHWM``, ``VmRSS``) of ``/proc/PID/status`` in kB; 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (``/proc/PID/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _parents() -> dict[int, int]:
    """{pid: parent pid} of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            out[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return out


_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "wall": time.perf_counter() - start,
               "cpu": usage.ru_utime + usage.ru_stime, "peak_kb": usage.ru_maxrss}, f)
"""


@dataclass
class Measured:
    argv: list[str]
    code: int
    wall: float
    cpu: float
    """User + system seconds of the command and every child it waited for."""
    peak_kb: int
    """The largest single process of the tree (exact)."""
    parent_kb: int
    """The command's own peak (sampled)."""
    child_kb: int
    """The largest child's peak (sampled)."""
    children: int
    """Children seen by the sampler."""
    out: str = field(repr=False)
    err: str = field(repr=False)


class _Sampler(threading.Thread):
    """Peaks of the launcher's child (the command) and of the command's children."""

    def __init__(self, launcher: int, interval: float) -> None:
        super().__init__(daemon=True, name="process-meter")
        self.launcher, self.interval = launcher, interval
        self.parent_kb = 0
        self.child_kb: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            parents = _parents()
            commands = {pid for pid, ppid in parents.items() if ppid == self.launcher}
            for pid in commands:
                self.parent_kb = max(self.parent_kb, status_kb(pid, "VmHWM"))
            for pid, ppid in parents.items():
                if ppid in commands:
                    self.child_kb[pid] = max(self.child_kb.get(pid, 0), status_kb(pid, "VmHWM"))
            self.done.wait(self.interval)


def measure(argv: list[str], env: dict[str, str], cwd: Path, interval: float = 0.02
            ) -> Measured:
    """Run ``argv`` to its end through the launcher; its stdout and stderr go to files (no pipe
    to keep drained)."""
    paths = [cwd / f".meter-{name}" for name in ("out", "err", "usage")]
    with paths[0].open("w") as out, paths[1].open("w") as err:
        launcher = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, str(paths[2]), *argv],
                                    env=env, cwd=cwd, stdout=out, stderr=err,
                                    stdin=subprocess.DEVNULL)
        sampler = _Sampler(launcher.pid, interval)
        sampler.start()
        code = launcher.wait()
        sampler.done.set()
        sampler.join()
    out_text, err_text = paths[0].read_text(), paths[1].read_text()
    if code != 0:
        raise RuntimeError(f"the measuring launcher failed (exit {code}): {err_text[-2000:]}")
    usage = json.loads(paths[2].read_text())
    for path in paths:
        path.unlink()
    return Measured(argv, usage["code"], usage["wall"], usage["cpu"], usage["peak_kb"],
                    sampler.parent_kb, max(sampler.child_kb.values(), default=0),
                    len(sampler.child_kb), out_text, err_text)
