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
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fleet import load_average
from reconciler.aws import Aws
from sagemaker_emulator import FAKE_CREDENTIALS

CLI_TARGET_MS = 5.0
"""Target: client CPU per endpoint of ``sagectl plan`` on a converged fleet, 0 ms a call."""
GROWTH_TOLERANCE = 0.15
"""Target: CPU per endpoint at ``--growth`` endpoints within 15 % of that at ``--endpoints``."""
WALL_FACTOR = 1.5
"""Target: plan wall <= 1.5 x max(longest serial chain, calls x latency / concurrency)."""



RUNS = 3
"""The wall figure is the median of this many runs (min and max printed)."""
CPU_RUNS = 5
"""Each CLI CPU figure is measured this many times: CPU time on this shared 2-core VM varies by
10-25 % from one run to the next (a 4-second plan more than a 14-second one)."""


@dataclass(frozen=True)
class CliPlan:
    cpus: tuple[float, ...]
    """User + system seconds of each ``sagectl plan`` process."""
    walls: tuple[float, ...]
    calls: dict[str, int]
    summary: dict[str, int]

    @classmethod
    def combine(cls, runs: list[CliPlan]) -> CliPlan:
        """One figure of several runs of the same plan (their calls and summary must agree)."""
        first = runs[0]
        for run in runs[1:]:
            if (run.calls, run.summary) != (first.calls, first.summary):
                raise SystemExit(f"two plans of the same fleet differ: "
                                 f"{(first.calls, first.summary)} / {(run.calls, run.summary)}")
        return cls(tuple(c for r in runs for c in r.cpus), tuple(w for r in runs for w in r.walls),
                   first.calls, first.summary)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    @property
    def cpu_min(self) -> float:
        """The least CPU of the runs: what the plan itself costs. Interference (the other
        hyperthread busy, caches flushed, the VM slowed) only ever adds CPU time; Python's
        ``timeit`` takes the minimum for the same reason."""
        return min(self.cpus)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def spread(self, values: tuple[float, ...], scale: float = 1.0, unit: str = "s") -> str:
        """``min-max`` of the runs, for the figure's line."""
        return (f"runs {min(values) * scale:.2f}-{max(values) * scale:.2f} {unit}"
                if len(values) > 1 else "1 run")


def run_cli_plan(specs: Path, url: str, concurrency: int, runs: int = RUNS) -> CliPlan:
    """``sagectl plan SPECS --env bench --format json --parallel N`` in a child process, ``runs``
    times (the calls are the same every time: checked).

    Python's bytecode cache is allowed (PYTHONDONTWRITEBYTECODE dropped), as in any
    installation: pip compiles a package's modules when it installs it, so no user's sagectl
    compiles its sources on every run."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k != "PYTHONDONTWRITEBYTECODE"}
    environ.update(FAKE_CREDENTIALS, SAGECTL_EMULATOR_URL=url, SAGECTL_GIT_COMMIT="bench")
    cpus, walls, seen = [], [], None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(specs), "--env",
                              "bench", "--format", "json", "--parallel", str(concurrency)],
                             capture_output=True, text=True, env=environ, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if run.returncode != 0:
            raise SystemExit(f"sagectl plan exited {run.returncode}:\n{run.stderr[-3000:]}")
        plan = json.loads(run.stdout)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        found = (dict(plan["reads"]), dict(plan["summary"]))
        if seen is not None and found != seen:
            raise SystemExit(f"two plans of the same fleet differ: {seen} / {found}")
        seen = found
    assert seen is not None
    return CliPlan(tuple(cpus), tuple(walls), *seen)


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


def print_cli_figures(n: int, figures: dict[str, CliPlan], meter: BotocoreMeter,
                      wall: CliPlan | None, latency: float, conc: int,
                      growth: tuple[int, dict[str, CliPlan]] | None) -> None:
    conv = figures["converged"]
    per_ep = conv.cpu / n * 1000
    boto_ep = meter.per_call * conv.total_calls / n * 1000
    print(f"\nsagectl plan (the CLI, its own process; emulator served from its own process), "
          f"{load_average()}")
    print(f"client CPU per endpoint, {n} converged endpoints, 0 ms a call: {per_ep:.2f} ms "
          f"(target <= {CLI_TARGET_MS:.1f} ms: {'met' if per_ep <= CLI_TARGET_MS else 'NOT met'})"
          f"; {conv.cpu:.2f} s CPU, median of {len(conv.cpus)} "
          f"({conv.spread(conv.cpus, 1000 / n, 'ms')}; least "
          f"{conv.cpu_min / n * 1000:.2f} ms), {conv.total_calls} calls "
          f"({conv.total_calls / n:.3f} per endpoint), wall {conv.wall:.2f} s")
    print(f"  of which botocore's own request/response handling: {meter.per_call * 1000:.2f} ms "
          f"per call x {conv.total_calls / n:.3f} calls per endpoint = {boto_ep:.2f} ms per "
          f"endpoint (thread CPU from parameter build to parsed answer, {meter.calls} calls "
          f"metered in-process); sagectl's own {per_ep - boto_ep:.2f} ms per endpoint")
    changed = figures["changed"]
    print(f"  every endpoint changed: {changed.cpu / n * 1000:.2f} ms per endpoint "
          f"({changed.spread(changed.cpus, 1000 / n, 'ms')}), "
          f"{changed.total_calls} calls ({changed.total_calls / n:.3f} per endpoint), "
          f"{changed.summary}")
    if wall is not None and latency:
        chain = wall.calls.get("application-autoscaling:DescribeScalingPolicies", 0)
        serial = (chain + 1) * latency
        spread = wall.total_calls * latency / conc
        bound = max(serial, spread)
        ratio = wall.wall / bound
        verdict = "met" if ratio <= WALL_FACTOR else "NOT met"
        print(f"wall, {n} converged endpoints, {latency * 1000:.0f} ms a call, concurrency "
              f"{conc}: {wall.wall:.2f} s, median of {len(wall.walls)} ({wall.spread(wall.walls)}) "
              f"for {wall.total_calls} calls; bound max(serial chain "
              f"GetCallerIdentity + {chain} DescribeScalingPolicies pages = {serial:.2f} s, "
              f"calls x latency / concurrency = {spread:.2f} s) = {bound:.2f} s; ratio "
              f"{ratio:.2f} (target <= {WALL_FACTOR}: {verdict}); CPU {wall.cpu:.2f} s")
    if growth is not None:
        big, at_big = growth
        for label in ("converged", "changed"):
            small, large = figures[label], at_big[label]
            small_ep, big_ep = small.cpu_min / n, large.cpu_min / big
            change = big_ep / small_ep - 1
            verdict = "met" if abs(change) <= GROWTH_TOLERANCE else "NOT met"
            median_change = (large.cpu / big) / (small.cpu / n) - 1
            net_small = (small.cpu_min - figures["empty"].cpu_min) / n
            net_big = (large.cpu_min - at_big["empty"].cpu_min) / big
            print(f"growth {n} -> {big} endpoints, {label}: {small_ep * 1000:.2f} -> "
                  f"{big_ep * 1000:.2f} ms CPU per endpoint, the least of {len(small.cpus)} "
                  f"alternating runs ({change:+.1%}, target within +-{GROWTH_TOLERANCE:.0%}: "
                  f"{verdict}); medians {small.cpu / n * 1000:.2f} -> {large.cpu / big * 1000:.2f}"
                  f" ms ({median_change:+.1%}), "
                  f"{small.spread(small.cpus, 1000 / n, 'ms')} / "
                  f"{large.spread(large.cpus, 1000 / big, 'ms')}; net of the fixed part (a plan "
                  f"of endpoint-0 alone: {figures['empty'].cpu_min:.2f} s, "
                  f"{at_big['empty'].cpu_min:.2f} s) {net_small * 1000:.2f} -> "
                  f"{net_big * 1000:.2f} ms ({net_big / net_small - 1:+.1%}); calls "
                  f"{small.total_calls} -> {large.total_calls}")
