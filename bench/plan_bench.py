"""How fast and how economical is `sagectl plan` on a large fleet?

Seeds the in-process emulator with N endpoints (2 variants each, autoscaling on one, a guardrail
alarm each, a model each) exactly as sagectl creates them, adds per-call latency, and plans:

- a converged fleet (nothing to do), and the same fleet when every endpoint config is foreign
  to sagectl (no ownership tags: each config must be described);
- a plain sequential per-resource reader (describe + list tags of every endpoint, config, model,
  scalable target, policy and alarm, one at a time, like Terraform's refresh or a boto3 script),
  measured on a sample and extrapolated (at 50 ms a call the whole fleet would take ~10 minutes);
- the pure CPU part (normalise + classify + diff + render), no I/O, per endpoint;
- ``sagectl plan`` as a user runs it (the CLI in its own process, ``bench.plan_cli``): its CPU
  per endpoint at 0 ms a call with botocore's own share measured apart, its wall time at the
  given latency against max(longest serial chain, calls x latency / concurrency), and the growth
  of its CPU per endpoint from ``--endpoints`` to ``--growth`` endpoints, converged and with
  every endpoint changed (a second fleet, seeded the same way and served alongside the first:
  the two fleets' runs alternate, so drifts in the machine's speed fall on both).

The emulator is served from its own process by default, as a real AWS endpoint is: in the same
process moto's request handling would compete with sagectl for one interpreter lock and the wall
time would measure the emulator, not the planner (``--in-process`` shows that).

    python -m bench.plan_bench [--endpoints 1000] [--latency 0.05] [--concurrency 16]
                               [--growth 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.fleet import ACCOUNT, REGION, bench_aws, load_average, model_and_alarm, spec_dir
from bench.plan_cli import (
    CPU_RUNS,
    BotocoreMeter,
    CliPlan,
    MeteredAws,
    print_cli_figures,
    run_cli_plan,
)
from reconciler.aws import Aws, AwsSettings
from reconciler.cli.registry import KINDS
from reconciler.kinds.endpoint import plan as endpoint_plan
from reconciler.kinds.model import plan as model_plan
from reconciler.plan.context import PlanContext
from reconciler.plan.model import Plan
from reconciler.plan.planner import load_ownership, make_plan
from reconciler.plan.render import text
from reconciler.spec.load import load_specs
from sagemaker_emulator import FAKE_CREDENTIALS, Emulator, in_process
from sagemaker_emulator.server import RemoteEmulator
from tests.plan.helpers import run_as_written


def endpoint_specs(i: int, weight: int = 50, image: str = "1", account: str = ACCOUNT,
                   region: str = REGION) -> str:
    """Endpoint ``i`` (two variants, autoscaling on one, a guardrail alarm) and its model."""
    return model_and_alarm(i, image, account, region) + textwrap.dedent(f"""
    ---
    apiVersion: sagectl/v1
    kind: Endpoint
    metadata: {{name: endpoint-{i}}}
    spec:
      productionVariants:
        - variantName: primary
          modelName: model-{i}
          instanceType: ml.m6i.xlarge
          initialInstanceCount: 2
          initialVariantWeight: {100 - weight}
          autoscaling:
            minCapacity: 2
            maxCapacity: 8
            scalingPolicies:
              - policyName: invocations
                targetTrackingScalingPolicyConfiguration:
                  targetValue: 70
                  predefinedMetricSpecification:
                    predefinedMetricType: SageMakerVariantInvocationsPerInstance
        - variantName: challenger
          modelName: model-{i}
          instanceType: ml.m6i.xlarge
          initialInstanceCount: 1
          initialVariantWeight: {weight}
      deploymentConfig:
        autoRollbackConfiguration:
          alarms: [{{alarmName: errors-{i}}}]
    """)


def write_fleet(root: Path, n: int, **kw: Any) -> Path:
    specs = spec_dir(root)
    for i in range(n):
        (specs / f"endpoint-{i}.yaml").write_text(endpoint_specs(i, **kw))
    return specs


ENDPOINT_URL: str | None = None
"""The served emulator's address (None: the in-process emulator)."""


def aws(concurrency: int) -> Aws:
    return bench_aws(concurrency, ENDPOINT_URL)


@contextlib.contextmanager
def served_emulator() -> Iterator[RemoteEmulator]:
    """``sagectl emulator serve`` in a child process, driven through its controls; the module's
    helpers (``aws``, ``timed_plan``, ``converge``) talk to it until it stops (or until another,
    started meanwhile, stops: then to this one again)."""
    global ENDPOINT_URL
    previous = ENDPOINT_URL
    child = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, **FAKE_CREDENTIALS})
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        if "listening on " not in first:
            raise SystemExit(f"the emulator did not start: {first!r}")
        ENDPOINT_URL = first.split("listening on ", 1)[1].split()[0]
        os.environ.update(FAKE_CREDENTIALS)
        yield RemoteEmulator(ENDPOINT_URL, region=REGION)
    finally:
        ENDPOINT_URL = previous
        child.terminate()
        child.wait(timeout=30)


def converge(emu: Emulator, plan: Plan) -> None:
    """Run the plan's AWS steps as written (a stand-in for apply): the tests' helper."""
    client = aws(16)
    try:
        run_as_written(emu, client, plan)
    finally:
        client.close()


LAST_PLAN: dict[str, Any] = {}
"""Details of the last timed plan: calls by operation and sagectl's own CPU seconds."""


def timed_plan(specs: Path, root: Path, concurrency: int) -> tuple[Plan, float, int]:
    loaded = load_specs(specs, KINDS, "bench")
    client = aws(concurrency)
    cpu = time.process_time()
    start = time.perf_counter()
    plan = make_plan(loaded, client, root)
    elapsed = time.perf_counter() - start
    LAST_PLAN.update(calls=dict(client.calls), cpu=time.process_time() - cpu)
    client.close()
    return plan, elapsed, client.total_calls


def botocore_cpu_per_call(specs: Path, root: Path, concurrency: int) -> BotocoreMeter:
    """The plan of ``specs`` in this process, botocore's CPU metered on every call."""
    import boto3

    loaded = load_specs(specs, KINDS, "bench")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
    client = MeteredAws(AwsSettings(region=REGION, account_header=ACCOUNT,
                                    concurrency=concurrency, endpoint_url=ENDPOINT_URL),
                        session=session)
    client.meter = BotocoreMeter()
    try:
        make_plan(loaded, client, root)
    finally:
        client.close()
    return client.meter


def cli_fleet_figures(fleets: list[tuple[RemoteEmulator, Path, int]], conc: int
                      ) -> list[dict[str, CliPlan]]:
    """The CLI's plans of each seeded, converged fleet (its served emulator, specs, size) at
    0 ms a call: converged, with every endpoint (its model and its weights) changed, and the
    fixed part (a plan of one endpoint: start-up, imports, the estate-wide reads).

    The fleets' runs alternate (run 1 of each, then run 2 of each...): this machine's speed
    drifts by up to a third over minutes, and a growth figure that compared a fleet measured
    in one minute with a fleet measured in another would measure the drift."""
    labels = ("empty", "converged", "changed")
    spec_sets: list[dict[str, Path]] = []
    for emu, specs, n in fleets:
        emu.set_latency(0)
        one = write_fleet(Path(tempfile.mkdtemp(prefix="sagectl-bench-")), 1)
        run_cli_plan(one, emu.endpoint_url, conc, runs=1)  # fills the bytecode cache, as pip does
        changed = write_fleet(Path(tempfile.mkdtemp(prefix="sagectl-bench-")), n, weight=30,
                              image="2")
        spec_sets.append({"empty": one, "converged": specs, "changed": changed})
    runs: list[dict[str, list[CliPlan]]] = [{label: [] for label in labels} for _ in fleets]
    for _ in range(CPU_RUNS):
        for label in labels:
            for (emu, _specs, _n), sets, mine in zip(fleets, spec_sets, runs, strict=True):
                mine[label].append(run_cli_plan(sets[label], emu.endpoint_url, conc, runs=1))
    figures = []
    for (_emu, _specs, n), mine in zip(fleets, runs, strict=True):
        got = {label: CliPlan.combine(mine[label]) for label in labels}
        assert got["converged"].summary["unchanged"] == 3 * n, got["converged"].summary
        assert got["changed"].summary["update"] + got["changed"].summary["create"] >= 2 * n, \
            got["changed"].summary
        figures.append(got)
    return figures


@contextlib.contextmanager
def seeded_fleet(n: int) -> Iterator[tuple[RemoteEmulator, Path, int]]:
    """A second served emulator seeded with ``n`` converged endpoints, kept up meanwhile; the
    module's helpers talk to the first one again once it is seeded."""
    global ENDPOINT_URL
    root = Path(tempfile.mkdtemp(prefix="sagectl-bench-"))
    (root / ".git").mkdir()
    first = ENDPOINT_URL
    with served_emulator() as emu:
        emu.freeze()
        specs = write_fleet(root, n)
        seed, _, _ = timed_plan(specs, root, 16)
        converge(emu, seed)
        ENDPOINT_URL = first
        yield emu, specs, n


def sequential_reader(sample: int) -> tuple[int, float]:
    """Describe and list the tags of every resource of ``sample`` endpoints, one at a time."""
    client = aws(1)
    sm, aas = client.client("sagemaker"), client.client("application-autoscaling")
    cw = client.client("cloudwatch")
    start = time.perf_counter()
    for i in range(sample):
        endpoint = sm.describe_endpoint(EndpointName=f"endpoint-{i}")
        sm.list_tags(ResourceArn=endpoint["EndpointArn"])
        config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
        sm.list_tags(ResourceArn=config["EndpointConfigArn"])
        for name in sorted({v["ModelName"] for v in config["ProductionVariants"]}):
            model = sm.describe_model(ModelName=name)
            sm.list_tags(ResourceArn=model["ModelArn"])
        for v in config["ProductionVariants"]:
            rid = f"endpoint/endpoint-{i}/variant/{v['VariantName']}"
            aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[rid])
            aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)
        alarm = cw.describe_alarms(AlarmNames=[f"errors-{i}"])["MetricAlarms"][0]
        cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])
    elapsed = time.perf_counter() - start
    client.close()
    return client.total_calls, elapsed


def cpu_per_endpoint(specs: Path, root: Path, n: int) -> float:
    """Seconds per endpoint of the pure part: desired forms, classification, diff, render."""
    loaded = load_specs(specs, KINDS, "bench")
    client = aws(16)
    ctx = PlanContext(client, loaded, "bench", root, account=ACCOUNT)
    load_ownership(ctx, ["sagemaker:model", "sagemaker:endpoint", "sagemaker:endpoint-config",
                         "cloudwatch:alarm"])
    models = [r for r in loaded.resources if r.kind == "Model"]
    endpoints = [r for r in loaded.resources if r.kind == "Endpoint"]
    model_plan.plan(ctx, models)
    reads = endpoint_plan.read(ctx, endpoints)
    client.close()
    start = time.perf_counter()
    rounds = 3
    for _ in range(rounds):
        names = endpoint_plan._model_names(ctx)
        for r in endpoints:
            reads.wants[r.name] = endpoint_plan.build(r.name, ctx.env, r.spec, names)
        result = endpoint_plan.decide(ctx, endpoints, reads)
        text.render(Plan("bench", "", "", REGION, ACCOUNT, result.changes, result.problems))
    return (time.perf_counter() - start) / rounds / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per call")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sequential-sample", type=int, default=40)
    parser.add_argument("--in-process", action="store_true",
                        help="run the emulator in this process (shares the interpreter lock); "
                             "no CLI figures")
    parser.add_argument("--growth", type=int, default=3000, metavar="N",
                        help="also seed N endpoints and compare the CLI's CPU per endpoint "
                             "(0: skip)")
    args = parser.parse_args()
    n, latency, conc = args.endpoints, args.latency, args.concurrency
    root = Path(tempfile.mkdtemp(prefix="sagectl-bench-"))
    (root / ".git").mkdir()
    with (in_process() if args.in_process else served_emulator()) as emu:
        emu.freeze()
        specs = write_fleet(root, n)
        seed_start = time.perf_counter()
        seed, _, _ = timed_plan(specs, root, 16)
        converge(emu, seed)
        print(f"seeded {n} endpoints ({len(seed.resource_changes)} resources) in "
              f"{time.perf_counter() - seed_start:.1f} s")

        cli = meter = cli_wall = growth = None
        if not args.in_process:
            with contextlib.ExitStack() as stack:
                fleets = [(emu, specs, n)]
                if args.growth:
                    fleets.append(stack.enter_context(seeded_fleet(args.growth)))
                figures = cli_fleet_figures(fleets, conc)
            cli = figures[0]
            if args.growth:
                growth = (args.growth, figures[1])
            meter = botocore_cpu_per_call(specs, root, conc)
            emu.set_latency(latency)
            assert ENDPOINT_URL is not None
            cli_wall = run_cli_plan(specs, ENDPOINT_URL, conc)

        emu.set_latency(latency)
        rows = []
        converged, wall, calls = timed_plan(specs, root, conc)
        assert not converged.resource_changes and not converged.problems, converged.problems[:3]
        rows.append(("converged fleet", calls, wall))
        chain = LAST_PLAN["calls"].get("application-autoscaling:DescribeScalingPolicies", 0)
        converged_cpu = LAST_PLAN["cpu"]

        emu.set_latency(0)
        sm = aws(16)
        configs = sm.paginate("sagemaker", "list_endpoint_configs", "EndpointConfigs",
                              MaxResults=100)
        for c in configs:
            arn = sm.client("sagemaker").describe_endpoint_config(
                EndpointConfigName=c["EndpointConfigName"])["EndpointConfigArn"]
            keys = [t["Key"] for t in sm.client("sagemaker").list_tags(ResourceArn=arn)["Tags"]]
            sm.client("sagemaker").delete_tags(ResourceArn=arn, TagKeys=keys)
        sm.close()
        emu.set_latency(latency)
        foreign, wall, calls = timed_plan(specs, root, conc)
        assert not foreign.resource_changes, [c.address for c in foreign.resource_changes][:3]
        rows.append(("every config foreign to sagectl", calls, wall))

        sample = min(args.sequential_sample, n)
        seq_calls, seq_wall = sequential_reader(sample)
        emu.set_latency(0)
        cpu_converged = cpu_per_endpoint(specs, root, n)
        changed = write_fleet(Path(tempfile.mkdtemp(prefix="sagectl-bench-")), n, weight=30,
                              image="2")
        cpu_changed = cpu_per_endpoint(changed, root, n)

    where = "in this process" if args.in_process else "served from its own process"
    print(f"\nplan of {n} endpoints, {latency * 1000:.0f} ms per call, concurrency {conc}, "
          f"emulator {where}")
    print(f"{'scenario':34} {'calls':>7} {'calls/ep':>9} {'wall s':>8} {'bound s':>8} {'ratio':>6}")
    for label, calls, wall in rows:
        bound = calls * latency / conc
        ratio = f"{wall / bound:6.2f}" if bound else f"{'-':>6}"  # --latency 0: no bound
        print(f"{label:34} {calls:7d} {calls / n:9.2f} {wall:8.2f} {bound:8.2f} {ratio}")
    per_ep_calls, per_ep_wall = seq_calls / sample, seq_wall / sample
    projected = per_ep_wall * n
    print(f"{'sequential reader (sample ' + str(sample) + ')':34} {seq_calls:7d} "
          f"{per_ep_calls:9.2f} {seq_wall:8.2f}")
    print(f"{'  projected to ' + str(n) + ' endpoints':34} {round(per_ep_calls * n):7d} "
          f"{per_ep_calls:9.2f} {projected:8.2f}")
    print(f"speed-up over the sequential reader (converged fleet): {projected / rows[0][2]:.1f}x")
    floor = (chain + 1) * latency
    bound = rows[0][1] * latency / conc
    if latency:  # with no latency there is no bound to compare with
        print(f"longest serial chain: GetCallerIdentity + {chain} DescribeScalingPolicies pages "
              f"(AWS returns at most 10 policies a call) = {floor:.2f} s, {floor / bound:.2f}x "
              f"the bound by itself; converged wall / chain = {rows[0][2] / floor:.2f}")
    print(f"sagectl's own CPU during the converged plan: {converged_cpu:.2f} s "
          f"({converged_cpu / rows[0][1] * 1000:.2f} ms per call, botocore included)")
    print(f"pure CPU per endpoint (normalise + classify + diff + render): converged "
          f"{cpu_converged * 1000:.3f} ms, every endpoint changed {cpu_changed * 1000:.3f} ms")
    if cli is not None and meter is not None:
        print_cli_figures(n, cli, meter, cli_wall, latency, conc, growth)


if __name__ == "__main__":
    main()
    print(load_average())
