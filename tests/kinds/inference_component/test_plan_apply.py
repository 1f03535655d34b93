"""Inference components planned and applied through sagectl against the emulator: create,
copy-only updates, rolling updates (success and rollback), autoscaled copies, deletion order."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses, targets
from tests.kinds.inference_component.helpers import (
    AUTOSCALING,
    OLD_ENDPOINT,
    ROLLING,
    component,
    described,
    estate,
    set_alarm,
)
from tests.plan.helpers import one, ops, plan, write


def test_endpoint_and_component_created_in_one_apply(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(base=component()))
    first = plan(emu, specs)
    assert not first.errors, first.problems
    change = one(first, "InferenceComponent.base")
    assert change.action_reason == "new"
    assert ops(change)[:3] == ["sagemaker:CreateInferenceComponent", "sagectl:wait",
                               "sagectl:verify"]
    assert "Endpoint.llm" in change.depends_on and "Model.llm-model" in change.depends_on
    order = [c.address for c in first.resource_changes]
    assert order.index("Endpoint.llm") < order.index("InferenceComponent.base")
    run = apply(emu, specs)
    assert statuses(run)["InferenceComponent.base"] == "applied", run.result
    d = described(emu)
    assert d["InferenceComponentStatus"] == "InService"
    assert d["RuntimeConfig"]["DesiredCopyCount"] == 2
    again = plan(emu, specs)
    assert not again.resource_changes, [(c.address, c.diff) for c in again.resource_changes]


def converged(emu: Emulator, tmp_path: Path, high: int = 2, **files: str) -> Path:
    """The estate applied, with ``files`` as its components (``high``: the variant's
    managedInstanceScaling max)."""
    specs = write(tmp_path, estate(high=high, **files))
    run = apply(emu, specs)
    assert set(statuses(run).values()) == {"applied"}, run.result
    return specs


def test_copy_count_only_is_a_runtime_config_update(emu: Emulator, tmp_path: Path) -> None:
    specs = converged(emu, tmp_path, base=component(copies=2))
    write(tmp_path, estate(base=component(copies=3)))
    change = one(plan(emu, specs), "InferenceComponent.base")
    assert change.action_reason == "copy_count_only"
    assert ops(change) == ["sagemaker:UpdateInferenceComponentRuntimeConfig", "sagectl:wait",
                           "sagectl:verify", "sagemaker:AddTags"]  # the new spec digest
    assert change.steps[0].undo[0].params["DesiredRuntimeConfig"] == {"CopyCount": 2}
    run = apply(emu, specs)
    assert statuses(run)["InferenceComponent.base"] == "applied", run.result
    assert described(emu)["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 3}
    assert not plan(emu, specs).resource_changes


def test_rolling_update_success(emu: Emulator, tmp_path: Path) -> None:
    specs = converged(emu, tmp_path, base=component(copies=2, extra=ROLLING))
    set_alarm(emu, "OK")
    write(tmp_path, estate(version=2, base=component(copies=2, extra=ROLLING)))
    p = plan(emu, specs)
    change = one(p, "InferenceComponent.base")
    assert change.action_reason == "specification_changed"
    assert ops(change) == ["sagemaker:UpdateInferenceComponent", "sagectl:wait",
                           "sagectl:verify", "sagectl:bake", "sagemaker:AddTags"]
    request = change.steps[0].params
    assert request["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"] == {
        "Type": "COPY_COUNT", "Value": 1}
    assert request["DeploymentConfig"]["AutoRollbackConfiguration"] == {
        "Alarms": [{"AlarmName": "llm-errors"}]}
    assert "RuntimeConfig" not in request
    undo = change.steps[0].undo[0]
    assert undo.op == "sagemaker:UpdateInferenceComponent"
    assert undo.params["Specification"]["ModelName"] == described(emu)["Specification"][
        "ModelName"]
    summary = "\n".join(change.consequences["summary"])
    assert "rolling update of 2 copies in 2 batches of up to 1" in summary
    assert "batch 1: 1 new copy start next to the old ones, then 1 old stop (1/2 replaced)" in \
        summary
    assert "at least 600 s of baking" in summary and "at most 3600 s" in summary
    rollout = change.consequences["rollout"]
    assert (rollout["batches"], rollout["peak_extra_copies"]) == (2, 1)
    assert rollout["instances_now"] == 1 and rollout["instances_at_peak"] == 2
    old_model = described(emu)["Specification"]["ModelName"]
    run = apply(emu, specs)
    assert statuses(run)["InferenceComponent.base"] == "applied", run.result
    assert described(emu)["Specification"]["ModelName"] != old_model
    assert not plan(emu, specs).resource_changes


def test_rolling_update_rolled_back_by_alarm(emu: Emulator, tmp_path: Path) -> None:
    """The alarm fires during the rollout: SageMaker puts the old specification back; the
    outcome (and the exit code) say rolled back, never success."""
    specs = converged(emu, tmp_path, base=component(copies=2, extra=ROLLING))
    old_model = described(emu)["Specification"]["ModelName"]
    write(tmp_path, estate(version=2, base=component(copies=2, extra=ROLLING)))
    set_alarm(emu, "ALARM")
    run = apply(emu, specs)
    assert run.result is not None
    outcome = next(o for o in run.result.outcomes if o.address == "InferenceComponent.base")
    assert outcome.status == "rolled_back", outcome
    assert "SageMaker rolled the update back" in outcome.reason
    assert run.result.worst == "rolled_back"
    d = described(emu)
    assert d["InferenceComponentStatus"] == "InService"
    assert d["Specification"]["ModelName"] == old_model


def test_bake_failure_rolls_back_to_the_previous_specification(emu: Emulator,
                                                               tmp_path: Path) -> None:
    """The rollout succeeds; the alarm fires during sagectl's bake: the planned undo puts the
    previous specification back, verified."""
    specs = converged(emu, tmp_path, base=component(copies=2, extra=ROLLING))
    old_model = described(emu)["Specification"]["ModelName"]
    set_alarm(emu, "OK")
    write(tmp_path, estate(version=2, base=component(copies=2, extra=ROLLING)))
    emu.before_call("sagemaker", "UpdateInferenceComponent", lambda: emu.before_call(
        "cloudwatch", "DescribeAlarms", lambda: set_alarm(emu, "ALARM")))
    run = apply(emu, specs)
    assert run.result is not None
    outcome = next(o for o in run.result.outcomes if o.address == "InferenceComponent.base")
    assert outcome.status == "rolled_back", outcome
    assert "in ALARM during the bake" in outcome.reason
    assert described(emu)["Specification"]["ModelName"] == old_model


# -- copies the autoscaler owns; scale to zero -----------------------------------------------------

def test_autoscaled_copies_are_never_a_change(emu: Emulator, tmp_path: Path) -> None:
    extra = AUTOSCALING % {"low": 1, "high": 4} + ROLLING
    # a third instance: room for a batch next to the autoscaler's 4 copies (rule 53)
    specs = converged(emu, tmp_path, high=3, base=component(copies=2, extra=extra))
    assert targets(emu)["inference-component/base"] == (1, 4)
    emu.scale_component("base", 4, region="eu-west-1", account="111111111111")
    emu.advance(600)
    assert described(emu)["RuntimeConfig"]["DesiredCopyCount"] == 4
    assert not plan(emu, specs).resource_changes  # the autoscaler's count: no change
    # a specification change is rolled out without touching the count
    set_alarm(emu, "OK")
    write(tmp_path, estate(version=2, high=3, base=component(copies=2, extra=extra)))
    change = one(plan(emu, specs), "InferenceComponent.base")
    assert change.action_reason == "specification_changed"
    assert "RuntimeConfig" not in change.steps[0].params
    assert "copies: 4 (the autoscaler's, left as they are)" in change.consequences["summary"]
    assert change.consequences["rollout"]["copies"] == 4
    run = apply(emu, specs)
    assert statuses(run)["InferenceComponent.base"] == "applied", run.result
    assert described(emu)["RuntimeConfig"]["DesiredCopyCount"] == 4
    assert not plan(emu, specs).resource_changes


def test_scale_to_zero(emu: Emulator, tmp_path: Path) -> None:
    """minCapacity 0 on the copies (and 0 instances on the variant): registered as is; the
    autoscaler's zero is no change; the spec warns that target tracking does not scale out
    from zero without a step scaling policy."""
    extra = AUTOSCALING % {"low": 0, "high": 4}
    specs = write(tmp_path, estate(low=0, base=component(copies=1, extra=extra)))
    loaded = load_specs(specs, KINDS, "dev")
    warnings = [d.text() for d in loaded.report.warnings]
    assert any("does not scale out from zero" in w and "base.yaml:15:18: warning: spec.autoscaling.minCapacity" in w for w in warnings), \
        warnings
    run = apply(emu, specs)
    assert statuses(run)["InferenceComponent.base"] == "applied", run.result
    assert targets(emu)["inference-component/base"] == (0, 4)
    emu.scale_component("base", 0, region="eu-west-1", account="111111111111")
    emu.advance(600)
    assert described(emu)["RuntimeConfig"] == {"DesiredCopyCount": 0, "CurrentCopyCount": 0}
    assert not plan(emu, specs).resource_changes


def test_endpoints_and_components_share_one_read_of_the_scaling_namespace(
        emu: Emulator, tmp_path: Path) -> None:
    """Endpoints, their orphans and inference components all need the ``sagemaker`` namespace's
    scalable targets, policies and scheduled actions: a plan reads each list once, whichever
    kind asks first (it was read once per kind, and again for the orphans)."""
    extra = AUTOSCALING % {"low": 1, "high": 4}
    files = estate(high=3, base=component(copies=2, extra=extra))
    specs = write(tmp_path, {**files, "endpoints/old.yaml": OLD_ENDPOINT})
    run = apply(emu, specs)
    assert set(statuses(run).values()) == {"applied"}, run.result
    write(tmp_path, files)  # Endpoint.old left the specs: an orphan to delete
    made = plan(emu, specs, prune=True)
    delete = one(made, "Endpoint.old")
    assert "application-autoscaling:DeregisterScalableTarget" in ops(delete)
    assert {op: n for op, n in made.reads.items() if op.startswith("application-autoscaling:")} \
        == {"application-autoscaling:DescribeScalableTargets": 1,
            "application-autoscaling:DescribeScalingPolicies": 1,
            "application-autoscaling:DescribeScheduledActions": 1}
