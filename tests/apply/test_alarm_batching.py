"""The bakes of one apply share their alarm reads (``reconciler/apply/alarm_poller.py``): one
DescribeAlarms for every endpoint baking at once, no more often than the alarms can change,
and an alarm in ALARM still rolls back its own endpoint only."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.apply_bench import write_fleet
from bench.fleet import bench_aws
from reconciler.apply.alarm_poller import BATCH_WINDOW, AlarmPoller, Reading, interval
from reconciler.apply.context import APPLIED, ROLLED_BACK, ApplyContext
from reconciler.apply.stage import apply_plan, prepare
from reconciler.cli.registry import KINDS
from reconciler.kinds._guardrails import watch_alarms
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import context, statuses
from tests.apply.lockstep import LockstepClock
from tests.plan.helpers import aws_for


def requests_of(actx: ApplyContext) -> list[list[str]]:
    """The AlarmNames of every DescribeAlarms ``actx`` sends, in order."""
    sent: list[list[str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(sorted(params.get("AlarmNames") or []))

    actx.aws.client("cloudwatch").meta.events.register(
        "provide-client-params.cloudwatch.DescribeAlarms", record)
    return sent


def fleet(emu: Emulator, tmp_path: Path, n: int, bake: int) -> Path:
    """``n`` bench endpoints (canary, alarm ``errors-i`` each) applied, then a new model."""
    (tmp_path / ".git").mkdir()
    specs = write_fleet(tmp_path, n, "1", 300, bake)
    run = apply_fleet(emu, specs)[0]
    assert set(statuses(run).values()) == {APPLIED}
    return write_fleet(tmp_path, n, "2", 300, bake)


def apply_fleet(emu: Emulator, specs: Path, counted: dict[str, int] | None = None
                ) -> tuple[Any, list[list[str]], ApplyContext]:
    """Plan and apply ``specs``; ``counted`` gets the emulator's count of each DynamoDB and
    CloudWatch operation the apply (not the plan) made."""
    actx = context(emu)
    sent = requests_of(actx)
    try:
        run = prepare(actx, load_specs(specs, KINDS, "bench"), specs.parent)
        assert not run.plan.errors, run.plan.errors
        del sent[:]
        before = dict(emu.calls)
        result = apply_plan(actx, run)
        if counted is not None:
            counted.update({f"{s}:{a}": n - before.get((s, a), 0)
                            for (s, a), n in emu.calls.items()
                            if s in ("dynamodb", "cloudwatch") and n > before.get((s, a), 0)})
        return result, sent, actx
    finally:
        actx.aws.close()


def test_two_readers_at_once_share_one_describe_alarms(emu: Emulator) -> None:
    aws = bench_aws(4, max_attempts=2)
    aws.client("cloudwatch")
    for name in ("a", "b"):
        aws.client("cloudwatch").put_metric_alarm(
            AlarmName=name, Namespace="X", MetricName="Y", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    emu.freeze()
    actx = context(emu)
    actx.aws.close()
    actx.aws = aws
    sent = requests_of(actx)
    poller = AlarmPoller(actx)
    got: dict[str, dict[str, Reading]] = {}
    start = emu.now()

    def reader(name: str) -> None:
        got[name] = poller.read([name], start)

    first = threading.Thread(target=reader, args=("a",))
    first.start()
    while poller._batch is None:  # the first reader leads, waiting BATCH_WINDOW
        time.sleep(0.001)
    second = threading.Thread(target=reader, args=("b",))
    second.start()
    while "b" not in poller._batch.names:  # the second joined the first's read
        time.sleep(0.001)
    emu.advance(BATCH_WINDOW)
    first.join(10)
    second.join(10)
    aws.close()
    assert sent == [["a", "b"]]
    assert got["a"]["a"].state == got["b"]["b"].state == "INSUFFICIENT_DATA"
    assert got["a"]["a"].at >= start + BATCH_WINDOW
    assert interval(got["a"].values(), 15.0) == 60.0  # a 60-second alarm: read once a minute


def test_high_resolution_alarms_are_read_every_ten_seconds_at_most() -> None:
    fast = Reading("OK", 10.0, 0.0)
    assert interval([fast], 15.0) == 15.0  # never faster than the apply's poll_seconds
    assert interval([fast], 5.0) == 10.0
    assert interval([Reading("OK", 300.0, 0.0)], 15.0) == 60.0


BAKE = 120.0
BOTH = ["errors-0", "errors-1"]


@pytest.mark.parametrize(("offset", "reads"), [
    # together: at the start (+5 s, the batch window), a minute after it (the alarms have a
    # 60 s period: never read more often), at the end: 3 reads for both bakes
    (0.0, [BOTH, BOTH, BOTH]),
    # 10 s apart: bake 0's first read is its own (bake 1 has not subscribed yet); bake 1's
    # first read and bake 0's next one (a minute after its first) name both, and that one
    # serves bake 1's next (due a minute after its own first, 15 s poll slack); each bake
    # reads at its own end, the last after bake 0 unsubscribed: 5 reads instead of 6
    (10.0, [["errors-0"], BOTH, BOTH, BOTH, ["errors-1"]]),
], ids=["together", "10-s-apart"])
def test_endpoints_baking_at_once_share_each_alarm_read(
        emu: Emulator, offset: float, reads: list[list[str]]) -> None:
    """Two 120 s bakes (``watch_alarms``, as an endpoint's bake runs it) of one apply, the
    second starting ``offset`` simulated seconds after the first, poll 15 s, alarms of a 60 s
    period. The bakes run in threads on a ``LockstepClock``: simulated time moves only when
    both are blocked, so the reads are exactly these whatever the machine's speed."""
    actx = context(emu)
    cw = actx.aws.client("cloudwatch")
    for name in BOTH:
        cw.put_metric_alarm(
            AlarmName=name, Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
            Statistic="Sum", Period=60, EvaluationPeriods=2, Threshold=5.0,
            ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
    clock = actx.clock = LockstepClock(emu)
    sent = requests_of(actx)
    start = clock.now()
    both_members = threading.Barrier(2)
    failures: list[BaseException] = []

    def bake(i: int, delay: float) -> None:
        clock.join()
        both_members.wait()
        try:
            clock.sleep(delay)
            watch_alarms(actx, f"Endpoint.endpoint-{i}", f"endpoint endpoint-{i}", BAKE,
                         [f"errors-{i}"], allow_insufficient=True)
        except BaseException as err:  # reported below
            failures.append(err)
        finally:
            clock.leave()

    bakes = [threading.Thread(target=bake, args=(0, 0.0)),
             threading.Thread(target=bake, args=(1, offset))]
    for thread in bakes:
        thread.start()
    for thread in bakes:
        thread.join(60)
    actx.aws.close()
    assert not any(t.is_alive() for t in bakes) and not failures, failures
    assert sent == reads, sent
    assert clock.now() - start == offset + BAKE + BATCH_WINDOW  # the last bake's end read


def test_an_alarm_during_a_shared_bake_rolls_back_its_endpoint_only(emu: Emulator,
                                                                    tmp_path: Path) -> None:
    specs = fleet(emu, tmp_path, 2, 300)

    def errors() -> None:  # endpoint-1 answers 5xx from the first deploy's end on
        now = emu.now()
        aws = aws_for(emu)
        aws.client("cloudwatch").put_metric_data(Namespace="AWS/SageMaker", MetricData=[
            {"MetricName": "Invocation5XXErrors", "Value": 25.0,
             "Dimensions": [{"Name": "EndpointName", "Value": "endpoint-1"}],
             "Timestamp": datetime.fromtimestamp(now + 60 * i, UTC)} for i in range(15)])
        aws.close()

    emu.before_call("sagemaker", "AddTags", errors)
    run, sent, _ = apply_fleet(emu, specs)
    assert run.result is not None
    outcomes = {o.address: o for o in run.result.outcomes}
    assert outcomes["Endpoint.endpoint-0"].status == APPLIED
    failed = outcomes["Endpoint.endpoint-1"]
    assert failed.status == ROLLED_BACK and "errors-1 in ALARM" in failed.reason, failed
    assert any(r == ["errors-0", "errors-1"] for r in sent), sent


def test_state_table_writes_of_one_canary_update(emu: Emulator, tmp_path: Path) -> None:
    """A new model on one canary endpoint (a Model change, then the Endpoint's): the state
    table calls are exactly these. PutItem: the two leases and the journal before the first
    step (started), before UpdateEndpoint (updating) and before the bake (baking, listing the
    old configs, so the gc step writes none); the journal is cleared with the history record
    in one BatchWriteItem; the two leases, released together, in one TransactWriteItems, and
    the lease keeper renews every held lease in one (a renewal is due every 300 s of the
    ~1,000 s deploy: how many fall in it depends on the simulated clock, not counted here)."""
    specs = fleet(emu, tmp_path, 1, 120)
    counted: dict[str, int] = {}
    run = apply_fleet(emu, specs, counted)[0]
    assert set(statuses(run).values()) == {APPLIED}
    renewals = counted.pop("dynamodb:TransactWriteItems") - 1  # the release
    assert 2 <= renewals <= 5, renewals
    # the quarantine is read twice (before the run, and under the lease)
    assert counted.pop("dynamodb:GetItem") == 2
    alarm_reads = counted.pop("cloudwatch:DescribeAlarms")
    # a 120 s bake of a 60-second alarm: at its start, a minute later, at its end (2 when the
    # machine is so loaded that the first read slips by most of a minute)
    assert alarm_reads in (2, 3), alarm_reads
    assert counted == {"dynamodb:PutItem": 5, "dynamodb:BatchWriteItem": 1}, counted
