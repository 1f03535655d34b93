"""Every change is leased (issue 13): two applies on one account never act on the same resource at
once, and an undo never deletes what this run did not create and still hold.

The interleavings are chosen, not hoped for: run B starts from an emulator hook just before one
of run A's calls, so A is in the middle of a change (it holds that lease) whatever the machine's
speed; both runs take leases long enough that no stall lets one expire. The outcomes are then
checked against AWS: what a run says it applied exists, and what it says it undid is gone.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.apply.context import APPLIED, FAILED, ROLLED_BACK, WAITING, Outcome
from reconciler.apply.leases import RunLeases
from reconciler.apply.stage import ApplyRun, apply_plan, prepare
from reconciler.cli.apply import lease_key
from reconciler.cli.registry import KINDS
from reconciler.plan.context import PlanOptions
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context, statuses
from tests.plan.helpers import aws_for, plan

ACCOUNT, REGION = "111111111111", "eu-west-1"
GROUP = "ModelPackageGroup.fraud-models"
LONG_LEASE = 10.0**6
"""Leases that outlive any stall of the machine: what a run holds, it holds for the test."""


class Run:
    """One ``sagectl apply`` of ``specs`` (env dev) in a thread of its own, with its own
    ApplyContext and run id."""

    def __init__(self, emu: Emulator, specs: Path, prune: bool | None = None) -> None:
        self.actx = context(emu, lease_seconds=LONG_LEASE)
        self.specs = load_specs(specs, KINDS, "dev")
        assert self.specs.ok, [d.text() for d in self.specs.report.errors]
        self.root, self.prune = specs.parent, prune
        self.run: ApplyRun | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._apply, daemon=True)

    def plan(self) -> None:
        self.run = prepare(self.actx, self.specs, self.root, PlanOptions(prune=self.prune))
        assert not self.run.plan.errors, self.run.plan.errors

    def _apply(self) -> None:
        try:
            if self.run is None:
                self.plan()
            assert self.run is not None
            apply_plan(self.actx, self.run)
        except BaseException as err:  # reported by finish()
            self.error = err
        finally:
            self.actx.aws.close()

    def start(self) -> None:
        self.thread.start()

    def wait(self) -> None:
        self.thread.join(600)

    def finish(self) -> dict[str, Outcome]:
        self.wait()
        assert not self.thread.is_alive(), "the apply did not end"
        if self.error is not None:
            raise self.error
        assert self.run is not None and self.run.result is not None
        return {o.address: o for o in self.run.result.outcomes}


def approve(emu: Emulator) -> None:
    """A reviewer approves a version in the registry (the challenger model needs one)."""
    aws = aws_for(emu)
    try:
        aws.client("sagemaker").create_model_package(
            ModelPackageGroupName="fraud-models", ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/scorer:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"]})
    finally:
        aws.close()


def meanwhile(run: Run, then: Callable[[], None] | None = None) -> Callable[[], None]:
    """A hook: run ``run`` to its end (in its own thread) while the caller's call waits."""

    def hook() -> None:
        run.start()
        run.wait()
        if then is not None:
            then()

    return hook


def lease_waits(outcomes: dict[str, Outcome], holder: Run) -> list[str]:
    """Addresses that waited because ``holder`` held their lease."""
    return [a for a, o in outcomes.items() if o.status == WAITING
            and "leased by another run" in o.reason and holder.actx.run_id in o.reason]


def not_created(emu: Emulator, specs: Path) -> set[str]:
    """Addresses a fresh plan would create: what does not exist."""
    return {c.address for c in plan(emu, specs).resource_changes if "create" in c.actions}


def group_tags(emu: Emulator) -> dict[str, str] | None:
    aws = aws_for(emu)
    try:
        sm = aws.client("sagemaker")
        try:
            arn = sm.describe_model_package_group(
                ModelPackageGroupName="fraud-models")["ModelPackageGroupArn"]
        except sm.exceptions.ClientError:
            return None
        return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    finally:
        aws.close()


def the_whole_estate_is_there(emu: Emulator) -> None:
    aws = aws_for(emu)
    try:
        sm = aws.client("sagemaker")
        sm.describe_model_package_group(ModelPackageGroupName="fraud-models")
        assert "PlatformDeploys" in sm.get_model_package_group_policy(
            ModelPackageGroupName="fraud-models")["ResourcePolicy"]
        sm.describe_pipeline(PipelineName="fraud-training")
        aws.client("scheduler").get_schedule(Name="sagectl-fraud-training", GroupName="default")
        for name in ("doc-classifier", "embeddings-async", "fraud-scorer"):
            live = sm.describe_endpoint(EndpointName=name)
            assert live["EndpointStatus"] == "InService", live
            config = sm.describe_endpoint_config(EndpointConfigName=live["EndpointConfigName"])
            for variant in config["ProductionVariants"]:
                sm.describe_model(ModelName=variant["ModelName"])
        alarms = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix="fraud-scorer-")
        assert len(alarms["MetricAlarms"]) == 3  # two guardrails and the feature drift alarm
    finally:
        aws.close()


ROUNDS = {  # run A's call at which run B starts -> the kind of resource A is changing then
    "CreateModelPackageGroup": ("sagemaker", "ModelPackageGroup"),
    "CreatePipeline": ("sagemaker", "Pipeline"),
    "CreateSchedule": ("scheduler", "Pipeline"),
    "CreateModel": ("sagemaker", "Model"),
    "CreateEndpoint": ("sagemaker", "Endpoint"),
}


@pytest.mark.parametrize("action", list(ROUNDS))
def test_two_applies_of_the_example_estate_at_once_each_tell_the_truth(
        emu: Emulator, examples_copy: Path, action: str) -> None:
    """Both runs plan (A on the empty account, B when A is at ``action``), then apply at the
    same time on one account; B meets the resource A is changing and waits for it."""
    specs = examples_copy
    service, kind = ROUNDS[action]
    first, second = Run(emu, specs), Run(emu, specs)
    first.plan()
    # a reviewer approves a version as soon as the registry exists: a run that plans after
    # that deploys the challenger as well
    emu.before_call("sagemaker", "PutModelPackageGroupPolicy", lambda: approve(emu))
    emu.before_call(service, action, meanwhile(second))
    first.start()
    a, b = first.finish(), second.finish()

    troubles = {(run, address): (o.status, o.reason) for run, found in (("A", a), ("B", b))
                for address, o in found.items() if o.status not in (APPLIED, WAITING)}
    assert not troubles, troubles  # nothing failed, nothing was rolled back
    held = lease_waits(b, first)
    assert any(address.startswith(kind + ".") for address in held), (held, b)
    claimed = {address for found in (a, b) for address, o in found.items()
               if o.status == APPLIED}
    assert not claimed & not_created(emu, specs), "a run says it applied what does not exist"

    rest = apply(emu, specs)  # the next apply converges what waited
    assert set(statuses(rest).values()) <= {APPLIED}, rest.result
    assert not plan(emu, specs).resource_changes
    the_whole_estate_is_there(emu)


@pytest.mark.parametrize("unlocked", [False, True], ids=["still-held", "unlocked"])
def test_an_undo_never_deletes_what_another_run_may_have_acted_on(
        emu: Emulator, examples_copy: Path, tmp_path: Path, unlocked: bool) -> None:
    """Run A creates the registry group for its pipeline; the pipeline's start then fails, so A
    rolls the pipeline back and, with it, the group it created for it. Meanwhile run B changes
    the group's tags. While A holds the group, B waits and A's undo deletes the group, rightly;
    when someone unlocked A's lease (it looked stuck) and B changed the group, A leaves it."""
    specs = examples_copy
    retagged = tmp_path / "b" / "specs"
    shutil.copytree(specs, retagged)
    (retagged.parent / ".git").mkdir()
    registry = retagged / "registry" / "fraud-models.yaml"
    registry.write_text(registry.read_text().replace('cost-center: "4711"',
                                                     'cost-center: "4712"'))
    first, second = Run(emu, specs), Run(emu, retagged, prune=False)
    first.plan()

    def then_the_start_fails() -> None:
        emu.inject("5xx", service="sagemaker", action="StartPipelineExecution", times=None)

    def hook() -> None:
        if unlocked:
            ops = context(emu)
            ops.state.unlock(GROUP, "ops@example", "the run looked stuck")
            ops.aws.close()
        meanwhile(second, then_the_start_fails)()

    emu.before_call("sagemaker", "StartPipelineExecution", hook)
    first.start()
    a, b = first.finish(), second.finish()

    assert a["Pipeline.fraud-training"].status == ROLLED_BACK, a["Pipeline.fraud-training"]
    if unlocked:
        assert b[GROUP].status == APPLIED, b[GROUP]
        assert (group_tags(emu) or {}).get("cost-center") == "4712"  # B's change stands
        assert a[GROUP].status == FAILED and "no longer held by this run" in a[GROUP].reason
    else:
        assert b[GROUP].status == WAITING and first.actx.run_id in b[GROUP].reason, b[GROUP]
        assert a[GROUP].status == ROLLED_BACK, a[GROUP]
        assert group_tags(emu) is None  # A created it for its pipeline, and undid it
    claimed = {address for found in (a, b) for address, o in found.items()
               if o.status == APPLIED}
    assert not claimed & not_created(emu, specs), "a run says it applied what does not exist"


def test_held_leases_are_renewed_on_the_apply_clock_and_a_lost_one_is_let_go(
        emu: Emulator) -> None:
    emu.freeze()
    actx, other = context(emu), context(emu)
    leases = RunLeases(actx)

    def until(done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60  # only a failing test waits this long
        while not done():
            assert time.monotonic() < deadline, "the keeper did not act"
            time.sleep(0.01)

    try:
        leases.acquire("Pipeline.fraud-training", "Pipeline.fraud-training")
        taken = actx.state.lease("Pipeline.fraud-training")
        assert taken is not None and taken["address"] == "Pipeline.fraud-training"
        emu.advance(400)  # past a third of the lease: renewed
        until(lambda: actx.state.lease("Pipeline.fraud-training")["expires"]  # type: ignore[index]
              > taken["expires"])
        renewed = actx.state.lease("Pipeline.fraud-training")
        assert renewed is not None and renewed["expires"] == pytest.approx(emu.now() + 900)

        other.state.unlock("Pipeline.fraud-training", "ops@example", "stuck")
        other.state.acquire("Pipeline.fraud-training", other.run_id, "ci@other")
        emu.advance(400)  # the next renewal finds it taken: dropped, not fought over
        until(lambda: "Pipeline.fraud-training" not in leases.held)
    finally:
        leases.close()
    assert (other.state.lease("Pipeline.fraud-training") or {}).get("run_id") == other.run_id
    actx.aws.close()
    other.aws.close()


def test_unlock_names_a_resource_by_address_or_an_endpoint_by_name(
        cli: Callable[..., tuple[int, str, str]], examples_copy: Path) -> None:
    assert lease_key("fraud-scorer") == "fraud-scorer"  # the endpoint's lease item, as before
    assert lease_key("Endpoint.fraud-scorer") == "fraud-scorer"
    assert lease_key(GROUP) == GROUP
    assert lease_key("Pipeline.fraud-training") == "Pipeline.fraud-training"
    code, out, err = cli("unlock", "Notakind.x", str(examples_copy), "--env", "dev")
    assert code == 2 and not out
    assert err.count("\n") == 1 and "neither an endpoint name nor an address" in err, err
