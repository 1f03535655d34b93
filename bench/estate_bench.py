"""How does ``sagectl drift --env '*'`` fare on an estate of many accounts and regions?

Builds an estate in ONE served emulator (``python -m sagemaker_emulator serve``, its own
process): ``--envs`` environments (default 30: 10 accounts x 3 regions), each with
``--endpoints`` endpoints (default 100: two variants, autoscaling on one, a guardrail alarm and a
model each), every environment acting through a role of its own account (``assumeRoleArn``,
trusted by the caller). The live state is created as sagectl creates it (``bench.estate_fleet``),
then ``sagectl plan specs --env '*'`` must say no changes for every environment (else the bench
stops: a drift measured on an unconverged estate means nothing).

Then, with ``--latency-ms`` added to every call, it runs ``sagectl drift specs --env '*'
--format json --detailed-exitcode``:

- with ``--parallel-envs N`` for each N of ``--parallel-envs`` (default 4, sagectl's default,
  and 8): the concurrent fan-out, one ``sagectl`` process per environment, N at a time;
- with ``--parallel-envs 1``: the same environments one after another (the same command and
  code path, one child process at a time), the baseline.

For each run: wall time, CPU time (user + system of sagectl and its children), API calls served
(the emulator's own counter, per service), the exit code and how many environments reported no
drift, peak memory (the largest process, the parent sagectl, its largest child: see
``bench.process_meter``) and the emulator's CPU time and resident memory; with the machine's
cores and load average before and after (seconds measured on a loaded machine are not comparable
with an idle one's: compare CPU time).

    python -m bench.estate_bench [--envs 30] [--regions 3] [--endpoints 100] [--latency-ms 50]
                                 [--parallel-envs 4,8] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.estate_fleet import (
    COMMIT,
    REGIONS,
    Environment,
    Served,
    create_roles,
    layout,
    seed,
    served_emulator,
    write_tree,
)
from bench.process_meter import Measured, cpu_seconds, measure, status_kb
from reconciler.cli.multi import DEFAULT_PARALLEL_ENVS, EMULATOR_URL_VARIABLE
from sagemaker_emulator import FAKE_CREDENTIALS

FULL = {"envs": 30, "regions": 3, "endpoints": 100, "latency_ms": 50.0,
        "parallel_envs": f"{DEFAULT_PARALLEL_ENVS},8"}
QUICK = {"envs": 4, "regions": 2, "endpoints": 3, "latency_ms": 5.0,
         "parallel_envs": f"{DEFAULT_PARALLEL_ENVS}"}
"""``--quick``: 2 accounts x 2 regions x 3 endpoints, a smoke run (the tests run it)."""


class BenchFailure(SystemExit):
    """The estate is not what the bench needs (not converged, a run not clean): exit 1."""

    def __init__(self, message: str) -> None:
        super().__init__(f"estate bench: {message}")


def sagectl(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args]


def child_environ(url: str) -> dict[str, str]:
    """What every ``sagectl`` process sees: the served emulator, the caller's (fake) keys, and
    the commit CI would give it."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") or k in FAKE_CREDENTIALS}
    return {**environ, **FAKE_CREDENTIALS, EMULATOR_URL_VARIABLE: url,
            "SAGECTL_GIT_COMMIT": COMMIT}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _reports(run: Measured, envs: list[Environment], what: str) -> dict[str, Any]:
    """Each environment's JSON report from a combined ``--format json`` output; each must be
    in its own account and region."""
    try:
        found = json.loads(run.out)["environments"]
    except (ValueError, KeyError, TypeError):
        raise BenchFailure(f"{what} printed no combined JSON report (exit {run.code}):\n"
                           f"{run.err[-3000:]}") from None
    missing = [e.name for e in envs if e.name not in found]
    if missing:
        raise BenchFailure(f"{what}: no report for {', '.join(missing)}")
    for env in envs:
        data = found[env.name]
        if "error" in data:
            raise BenchFailure(f"{what}: environment {env.name} failed: {data['error']}")
        if (data.get("account"), data.get("region")) != (env.account, env.region):
            raise BenchFailure(f"{what}: environment {env.name} reports account "
                               f"{data.get('account')} region {data.get('region')}, expected "
                               f"{env.account} {env.region}")
    return dict(found)


def check_converged(served: Served, specs: Path, envs: list[Environment]) -> dict[str, Any]:
    """``sagectl plan specs --env '*'`` says no changes for every environment, or the bench
    stops here, naming what would change."""
    before = served.emu.calls
    run = measure(sagectl("plan", str(specs), "--env", "*", "--format", "json",
                          "--detailed-exitcode", "--parallel-envs", str(DEFAULT_PARALLEL_ENVS)),
                  child_environ(served.url), specs.parent)
    plans = _reports(run, envs, "sagectl plan --env '*'")
    unconverged = {name: [c["address"] for c in plan.get("resource_changes", [])][:3]
                   + plan.get("problems", [])[:3]
                   for name, plan in plans.items()
                   if plan.get("resource_changes") or plan.get("problems")}
    if run.code != 0 or unconverged:
        raise BenchFailure(f"the estate is not converged: `sagectl plan --env '*'` exited "
                           f"{run.code}; changes or problems in {len(unconverged)} environments, "
                           f"e.g. {dict(list(unconverged.items())[:3])}\n{run.err[-2000:]}")
    calls = served.emu.calls - before
    return {"wall_s": round(run.wall, 2), "calls": sum(calls.values()),
            "environments_without_changes": len(plans)}


def drift_run(served: Served, specs: Path, envs: list[Environment], parallel_envs: int
              ) -> dict[str, Any]:
    """One ``sagectl drift specs --env '*'`` with ``--parallel-envs`` and its figures."""
    label = f"--parallel-envs {parallel_envs}"
    before, emulator_cpu, load_before = served.emu.calls, cpu_seconds(served.pid), load()
    run = measure(sagectl("drift", str(specs), "--env", "*", "--parallel-envs",
                          str(parallel_envs), "--format", "json", "--detailed-exitcode"),
                  child_environ(served.url), specs.parent)
    emulator_cpu = cpu_seconds(served.pid) - emulator_cpu
    calls: Counter[tuple[str, str]] = served.emu.calls - before
    reports = _reports(run, envs, f"sagectl drift --env '*' {label}")
    clean = [n for n, r in reports.items() if not r["actionable"] and not r["problems"]]
    by_service: Counter[str] = Counter()
    for (service, _), n in calls.items():
        by_service[service] += n
    return {
        "parallel_envs": parallel_envs, "exit_code": run.code, "wall_s": round(run.wall, 2),
        "cpu_s": round(run.cpu, 2), "calls": sum(calls.values()),
        "calls_by_service": dict(sorted(by_service.items())),
        "calls_by_operation": {f"{s}:{a}": n for (s, a), n in sorted(calls.items())},
        "clean_environments": len(clean),
        "informational_drift_items": sum(len(r["drift"]) for r in reports.values()),
        "peak_rss_mb": round(run.peak_kb / 1024, 1),
        "parent_rss_mb": round(run.parent_kb / 1024, 1),
        "largest_child_rss_mb": round(run.child_kb / 1024, 1),
        "children_seen": run.children,
        "emulator_cpu_s": round(emulator_cpu, 2),
        "cpu_floor_s": round((run.cpu + emulator_cpu) / (os.cpu_count() or 1), 2),
        "emulator_rss_mb": round(status_kb(served.pid, "VmRSS") / 1024, 1),
        "load_before": load_before, "load_after": load(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.estate_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", type=int, help=f"environments (default {FULL['envs']})")
    parser.add_argument("--regions", type=int,
                        help=f"regions per account (default {FULL['regions']})")
    parser.add_argument("--endpoints", type=int,
                        help=f"endpoints per environment (default {FULL['endpoints']})")
    parser.add_argument("--latency-ms", type=float,
                        help=f"added to every call (default {FULL['latency_ms']:g})")
    parser.add_argument("--parallel-envs", metavar="N,N",
                        help=f"fan-out widths to measure (default {FULL['parallel_envs']}); "
                             "one after another (--parallel-envs 1) is always measured too")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 2 accounts x 2 regions x 3 endpoints, 5 ms per call")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    try:
        widths = [int(w) for w in str(args.parallel_envs).split(",") if w.strip()]
    except ValueError:
        parser.error(f"--parallel-envs takes numbers separated by commas, not "
                     f"{args.parallel_envs!r}")
    if args.envs < 2 or args.endpoints < 1 or args.latency_ms < 0 or any(w < 1 for w in widths):
        parser.error("--envs >= 2, --endpoints >= 1, --latency-ms >= 0, --parallel-envs >= 1")
    if not 1 <= args.regions <= len(REGIONS):
        parser.error(f"--regions is 1 to {len(REGIONS)} ({', '.join(REGIONS)})")
    args.widths = [w for w in dict.fromkeys(widths) if w != 1] + [1]
    return args


def run_bench(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sagectl-estate-bench-") as root:
        return _run_bench(args, Path(root))


def _run_bench(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    envs = layout(args.envs, args.regions)
    specs = write_tree(root, envs, args.endpoints)
    result: dict[str, Any] = {
        "estate": {"environments": len(envs), "accounts": len({e.account for e in envs}),
                   "regions": sorted({e.region for e in envs}),
                   "endpoints_per_environment": args.endpoints},
        "machine": {"cores": os.cpu_count(), "load_at_start": load()},
        "latency_ms": args.latency_ms, "emulator": "python -m sagemaker_emulator serve "
                                                   "(its own process)"}
    with served_emulator() as served:
        start = time.perf_counter()
        create_roles(served.url, envs)
        resources = seed(served, specs, envs)
        result["seed"] = {"wall_s": round(time.perf_counter() - start, 1),
                          "resources": resources,
                          "calls": sum(served.emu.calls.values())}
        result["plan_check"] = check_converged(served, specs, envs)
        result["emulator_rss_after_seed_mb"] = round(status_kb(served.pid, "VmRSS") / 1024, 1)
        served.emu.set_latency(args.latency_ms / 1000)
        result["runs"] = [drift_run(served, specs, envs, w) for w in args.widths]
        result["emulator_peak_rss_mb"] = round(status_kb(served.pid, "VmHWM") / 1024, 1)
    result["machine"]["load_at_end"] = load()
    serial_wall = result["runs"][-1]["wall_s"]
    for run in result["runs"]:
        run["speedup_over_serial"] = round(serial_wall / run["wall_s"], 2)
    for run in result["runs"]:
        if run["exit_code"] != 0 or run["clean_environments"] != len(envs):
            raise BenchFailure(f"drift with --parallel-envs {run['parallel_envs']} was not clean "
                               f"on a converged estate: exit {run['exit_code']}, "
                               f"{run['clean_environments']}/{len(envs)} environments clean")
    return result


def render(r: dict[str, Any]) -> str:
    e, m, n = r["estate"], r["machine"], r["estate"]["environments"]
    seed_, check = r["seed"], r["plan_check"]
    out = [f"estate: {n} environments ({e['accounts']} accounts x {len(e['regions'])} regions: "
           f"{', '.join(e['regions'])}) x {e['endpoints_per_environment']} endpoints, "
           "each environment through an assumed role of its account",
           f"machine: {m['cores']} cores; load average at start {_load(m['load_at_start'])}, "
           f"at end {_load(m['load_at_end'])}",
           f"emulator: {r['emulator']}, {r['latency_ms']:g} ms added per call; "
           f"RSS after seeding {r['emulator_rss_after_seed_mb']} MB, "
           f"peak {r['emulator_peak_rss_mb']} MB",
           f"seeded {seed_['resources']} resources in {seed_['wall_s']} s ({seed_['calls']} "
           f"calls, no added latency); sagectl plan --env '*': no changes in "
           f"{check['environments_without_changes']}/{n} environments ({check['wall_s']} s, "
           f"{check['calls']} calls)", "",
           f"sagectl drift specs --env '*' --format json --detailed-exitcode, "
           f"{r['latency_ms']:g} ms per call",
           f"{'--parallel-envs':>15} {'wall s':>7} {'cpu s':>6} {'calls':>6} {'calls/env':>9} "
           f"{'exit':>4} {'clean':>6} {'peak MB':>7} {'parent':>6} {'child':>6} "
           f"{'emu cpu s':>9} {'emu MB':>6} {'floor s':>7}  load before -> after"]
    for run in r["runs"]:
        width = run["parallel_envs"]
        label = f"{width}" + (" (default)" if width == DEFAULT_PARALLEL_ENVS else
                              " (serial)" if width == 1 else "")
        out.append(f"{label:>15} {run['wall_s']:7.2f} {run['cpu_s']:6.2f} {run['calls']:6d} "
                   f"{run['calls'] / n:9.1f} {run['exit_code']:4d} "
                   f"{run['clean_environments']:>3}/{n:<2} {run['peak_rss_mb']:7.1f} "
                   f"{run['parent_rss_mb']:6.1f} {run['largest_child_rss_mb']:6.1f} "
                   f"{run['emulator_cpu_s']:9.2f} {run['emulator_rss_mb']:6.1f} "
                   f"{run['cpu_floor_s']:7.2f}  "
                   f"{_load(run['load_before'])} -> {_load(run['load_after'])}")
    serial = r["runs"][-1]
    for run in r["runs"][:-1]:
        out.append(f"--parallel-envs {run['parallel_envs']}: {run['speedup_over_serial']:.1f}x "
                   f"as fast as one after another, {run['wall_s'] / run['cpu_floor_s']:.2f}x "
                   "its CPU floor")
    out.append("calls by service (last run): " + ", ".join(
        f"{s} {c}" for s, c in serial["calls_by_service"].items()))
    out.append("cpu s: sagectl and its children (user + system); peak MB: the largest process "
               "of the run (exact); parent, child: sampled peaks of the parent sagectl and of "
               "its largest child; floor s: (cpu s + emu cpu s) / cores, the least wall time "
               "any fan-out can take on this machine")
    return "\n".join(out) + "\n"


def _load(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run_bench(args)
    sys.stdout.write(json.dumps(result, indent=2) + "\n" if args.json else render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
