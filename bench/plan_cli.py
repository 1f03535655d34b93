"""``sagectl plan`` as a user runs it (the CLI in its own process) against the served emulator:
its CPU time, wall time and exact calls; and botocore's own CPU per call, measured apart.

- CPU of the CLI: user + system time of the child process (``RUSAGE_CHILDREN``, exact),
  everything included: start-up, imports, spec loading, botocore, planning, rendering.
- Calls: the plan's own count of the operations it called (``reads`` of the JSON plan).
- botocore's share: in this process, the same plan made through ``Aws`` with a meter on every
  client: the calling thread's CPU time (``time.thread_time``, which excludes waiting) from
  ``before-parameter-build`` (botocore starts on the call) to ``after-call`` (the answer is
  parsed): serialising, signing, urllib3/http.client, parsing. Per call, times the CLI's calls.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.aws import Aws
from sagemaker_emulator import FAKE_CREDENTIALS


@dataclass(frozen=True)
class CliPlan:
    cpu: float
    """User + system seconds of the ``sagectl plan`` process."""
    wall: float
    calls: dict[str, int]
    summary: dict[str, int]

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def run_cli_plan(specs: Path, url: str, concurrency: int) -> CliPlan:
    """``sagectl plan SPECS --env bench --format json --parallel N`` in a child process."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environ.update(FAKE_CREDENTIALS, SAGECTL_EMULATOR_URL=url, SAGECTL_GIT_COMMIT="bench")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(specs), "--env", "bench",
                          "--format", "json", "--parallel", str(concurrency)],
                         capture_output=True, text=True, env=environ, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"sagectl plan exited {run.returncode}:\n{run.stderr[-3000:]}")
    plan = json.loads(run.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return CliPlan(cpu, wall, dict(plan["reads"]), dict(plan["summary"]))


class BotocoreMeter:
    """Thread CPU seconds botocore spends on each call of the clients it is attached to."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.seconds = 0.0
        self.calls = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build.*.*", self._start)
        client.meta.events.register("after-call.*.*", self._stop)
        client.meta.events.register("after-call-error.*.*", self._stop)

    def _start(self, **_: Any) -> None:
        self._local.started = time.thread_time()

    def _stop(self, **_: Any) -> None:
        started = getattr(self._local, "started", None)
        if started is None:
            return
        spent, self._local.started = time.thread_time() - started, None
        with self._lock:
            self.seconds += spent
            self.calls += 1

    @property
    def per_call(self) -> float:
        return self.seconds / self.calls if self.calls else 0.0


class MeteredAws(Aws):
    """``Aws`` whose clients report botocore's CPU to ``meter``."""

    meter: BotocoreMeter

    def _instrument(self, client: Any) -> None:
        super()._instrument(client)
        self.meter.attach(client)
