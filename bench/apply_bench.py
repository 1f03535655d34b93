"""How long does applying many endpoint updates take, and what does each cost in API calls?

Seeds the in-process emulator with N endpoints (default 50), then applies a new model to every
one of them: N independent canary deploys (canary 1 instance, wait W, then the rest, then a bake).
T is the simulated duration of one such deploy applied alone. Prints the makespan of the whole
apply as a multiple of T, and API calls per update, for the default parallelism and for 1 and 10,
then the calls per update by operation at the default parallelism (the DynamoDB state table's
included), with the targets (issue 19: <= 1.1 T, <= 20 calls per update) and the load average.

Time is the emulator's simulated clock, which runs while the process computes: at a time factor
f (real seconds per simulated second) each real second of CPU (sagectl, boto3 and the in-process
emulator's moto) counts as 1/f simulated seconds, which on AWS it never is (milliseconds against
a 17-minute deploy). The default parallelism's row, the one with a target, and T itself are
therefore measured at f = 0.03, where the 50 updates' CPU no longer shows (measured on this
2-core machine: 1.23 T at 0.01, 1.11 T at 0.02, 1.08 T at 0.03, T the same 1,056-1,062 s at
each); the rows at parallelism 10 and 1, which have no target, at smaller factors so that the
bench ends in minutes: their CPU shows in them.

    python -m bench.apply_bench [--endpoints 50] [--wait 300] [--bake 120] [--runs 1|2|3]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

from bench.fleet import bench_aws, load_average, model_and_alarm, spec_dir
from reconciler.apply.clock import EmulatorClock
from reconciler.apply.context import DEFAULT_PARALLEL, ApplyContext, ApplyOptions, Events
from reconciler.apply.stage import apply_plan, prepare
from reconciler.apply.state import StateTable, new_run_id
from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator, in_process

TARGET_CALLS = 20
"""Issue 19: API calls per canary update (DynamoDB writes included)."""
TARGET_FACTOR = 0.03
"""Time factor of T and of the default parallelism's row (see the module docstring)."""


def endpoint_specs(i: int, image: str, wait: int, bake: int) -> str:
    return model_and_alarm(i, image) + textwrap.dedent(f"""
    ---
    apiVersion: sagectl/v1
    kind: Endpoint
    metadata: {{name: endpoint-{i}}}
    spec:
      productionVariants:
        - variantName: primary
          modelName: model-{i}
          instanceType: ml.m5.xlarge
          initialInstanceCount: 4
      deploymentConfig:
        blueGreenUpdatePolicy:
          trafficRoutingConfiguration:
            type: CANARY
            canarySize: {{type: INSTANCE_COUNT, value: 1}}
            waitIntervalInSeconds: {wait}
          maximumExecutionTimeoutInSeconds: 3600
        autoRollbackConfiguration:
          alarms: [{{alarmName: errors-{i}}}]
      bake: {{durationInSeconds: {bake}}}
    """)


def write_fleet(root: Path, n: int, image: str, wait: int, bake: int) -> Path:
    specs = spec_dir(root)
    for old in specs.glob("endpoint-*.yaml"):
        old.unlink()
    for i in range(n):
        (specs / f"endpoint-{i}.yaml").write_text(endpoint_specs(i, image, wait, bake))
    return specs


def run_apply(emu: Emulator, specs: Path, parallel: int
              ) -> tuple[float, Counter[str], dict[str, int]]:
    """Simulated seconds, API calls by operation, outcomes."""
    aws = bench_aws(16)
    clock = EmulatorClock(emu)
    actx = ApplyContext(aws, StateTable(aws, now=clock.now), clock, new_run_id(), "bench",
                        "0" * 40, Events(out=io.StringIO()),
                        ApplyOptions(concurrency=parallel, poll_seconds=15))
    try:
        prepared = prepare(actx, load_specs(specs, KINDS, "bench"), specs.parent)
        aws.calls.clear()
        start = clock.now()
        result = apply_plan(actx, prepared).result
        elapsed = clock.now() - start
        assert result is not None
        outcomes: dict[str, int] = {}
        for o in result.outcomes:
            outcomes[o.status] = outcomes.get(o.status, 0) + 1
        return elapsed, Counter(aws.calls), outcomes
    finally:
        aws.close()


def scenario(n: int, parallel: int, wait: int, bake: int, factor: float
             ) -> tuple[float, Counter[str]]:
    """Seed n endpoints, deploy a new model to all: (seconds, calls by operation). The alarms
    need no help:
    without errors they evaluate OK (treatMissingData: notBreaching) before the bakes."""
    root = Path(tempfile.mkdtemp(prefix="sagectl-apply-bench-"))
    (root / ".git").mkdir()
    with in_process(time_factor=0.0005) as emu:
        specs = write_fleet(root, n, "1", wait, bake)
        _, _, seeded = run_apply(emu, specs, DEFAULT_PARALLEL)
        assert seeded == {"applied": 3 * n}, seeded
        emu.set_time_factor(factor)
        write_fleet(root, n, "2", wait, bake)
        elapsed, calls, outcomes = run_apply(emu, specs, parallel)
        assert outcomes == {"applied": 2 * n}, outcomes
        return elapsed, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--wait", type=int, default=300, help="canary wait interval (s)")
    parser.add_argument("--bake", type=int, default=120, help="bake after the deploy (s)")
    parser.add_argument("--runs", type=int, default=3, choices=(1, 2, 3),
                        help="parallelisms to run: the default only (1), and 10 (2), and 1 (3)")
    args = parser.parse_args()
    n = args.endpoints
    real = time.perf_counter()
    runs = [(DEFAULT_PARALLEL, TARGET_FACTOR), (10, 0.003), (1, 0.0005)][:args.runs]
    single, single_calls = scenario(1, 1, args.wait, args.bake, TARGET_FACTOR)
    print(f"one canary deploy alone: T = {single:.0f} simulated s at time factor "
          f"{TARGET_FACTOR}, {single_calls.total()} API calls (model + config + update + waits + "
          "bake + tags)")
    print(f"\n{n} independent canary deploys ({args.wait} s canary wait, {args.bake} s bake)")
    print(f"{'parallel':>9} {'factor':>7} {'makespan s':>11} {'x T':>6} {'calls':>7} "
          f"{'calls/update':>13}")
    by_operation: Counter[str] = Counter()
    for parallel, factor in runs:
        elapsed, calls = scenario(n, parallel, args.wait, args.bake, factor)
        label = f"{parallel}" + (" (default)" if parallel == DEFAULT_PARALLEL else "")
        if parallel == DEFAULT_PARALLEL:
            by_operation = calls
        print(f"{label:>9} {factor:7} {elapsed:11.0f} {elapsed / single:6.2f} "
              f"{calls.total():7d} {calls.total() / n:13.1f}")
    print(f"\ntarget: makespan <= 1.1 T at the default parallelism, <= {TARGET_CALLS} calls "
          "per update")
    print(f"\ncalls per update by operation, default parallelism ({load_average()}):")
    for operation, count in sorted(by_operation.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {operation:<45} {count / n:6.2f}")
    print(f"  {'total':<45} {by_operation.total() / n:6.2f}")
    print(f"\n(real time for the whole benchmark: {time.perf_counter() - real:.0f} s)")


if __name__ == "__main__":
    main()
    print(load_average())
