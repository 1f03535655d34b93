"""Inference components among their neighbours: adapters after their base and deleted before
it, components deleted before their endpoint in one apply, a model in use kept, the capacity
fit's errors in plain words, drift classes."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli.registry import KINDS
from reconciler.drift.classify import DriftReport
from reconciler.drift.run import drift
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context, statuses
from tests.kinds.inference_component.helpers import (
    AUTOSCALING,
    MODEL,
    client,
    component,
    described,
    estate,
)
from tests.plan.helpers import one, plan, write

ADAPTER = """
apiVersion: sagectl/v1
kind: InferenceComponent
metadata: {name: adapter}
spec:
  endpointName: llm
  variantName: main
  specification:
    baseInferenceComponentName: base
    container: {artifactUrl: "s3://adapters/sql/adapter.tar.gz"}
"""


def errors(emu: Emulator, specs: Path) -> list[str]:
    return [p.message for p in plan(emu, specs).errors]


def test_adapter_after_its_base_and_deleted_before_it(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(base=component(), adapter=ADAPTER))
    first = plan(emu, specs)
    assert "InferenceComponent.base" in one(first, "InferenceComponent.adapter").depends_on
    order = [c.address for c in first.resource_changes]
    assert order.index("InferenceComponent.base") < order.index("InferenceComponent.adapter")
    run = apply(emu, specs)
    assert set(statuses(run).values()) == {"applied"}, run.result
    assert described(emu, "adapter")["Specification"]["BaseInferenceComponentName"] == "base"
    assert not plan(emu, specs).resource_changes
    # everything leaves the specs: adapter, base, endpoint, then the model, in one apply
    write(tmp_path, {"alarms/llm.yaml": estate()["alarms/llm.yaml"]}, prune=True)
    gone = plan(emu, specs)
    order = [c.address for c in gone.resource_changes]
    assert order == ["InferenceComponent.adapter", "InferenceComponent.base", "Endpoint.llm",
                     "Model.llm-model"], order
    run = apply(emu, specs)
    assert set(statuses(run).values()) == {"applied"}, run.result
    listed = client(emu).list_inference_components()["InferenceComponents"]
    assert listed == []


def test_a_model_in_use_by_a_component_is_kept(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(base=component()), prune=True)
    assert set(statuses(apply(emu, specs)).values()) == {"applied"}
    # the component moves to another model: the old one leaves the specs while it still runs it
    other = MODEL.replace("llm-model", "llm-model-b") % {"version": 7}
    files = estate(base=component().replace("modelName: llm-model", "modelName: llm-model-b"))
    del files["models/llm.yaml"]
    write(tmp_path, {**files, "models/b.yaml": other}, prune=True)
    p = plan(emu, specs)
    assert not [c for c in p.resource_changes if c.address == "Model.llm-model"]
    kept = [x for x in p.problems if x.address == "Model.llm-model"]
    assert kept and kept[0].severity == "warning"
    assert "is in use" in kept[0].message and "by inference component(s) base" in kept[0].message


# -- capacity fit (rule 49) ------------------------------------------------------------------------

def test_rule_49_copies_at_the_autoscaling_maximum_must_fit(emu: Emulator,
                                                            tmp_path: Path) -> None:
    extra = AUTOSCALING % {"low": 1, "high": 4}
    specs = write(tmp_path, estate(high=1, base=component(copies=1, gpus=2, extra=extra)))
    assert errors(emu, specs) == [
        "the components' copies do not fit on variant main of endpoint llm: 4 copies x 2 GPUs "
        "need 2 x ml.g5.12xlarge; managedInstanceScaling max is 1"]
    write(tmp_path, estate(high=2, base=component(copies=1, gpus=2, extra=extra)))
    assert errors(emu, specs) == []
    summary = one(plan(emu, specs), "InferenceComponent.base").consequences["summary"]
    assert ("capacity: at most 4 copies, 2 per ml.g5.12xlarge, need 2 x ml.g5.12xlarge for this "
            "component; managedInstanceScaling max is 2") in summary, summary


def test_rule_49_a_copy_larger_than_an_instance(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(base=component(copies=1, gpus=8)))
    assert errors(emu, specs) == [
        "the components' copies do not fit on variant main of endpoint llm: one copy of base "
        "needs 8 GPUs (an ml.g5.12xlarge has 4 GPUs)"]


def test_rule_54_every_instance_pool_is_fitted(emu: Emulator, tmp_path: Path) -> None:
    """Pools ml.g5.12xlarge (4 GPUs) then ml.g5.2xlarge (1 GPU): a copy of 2 GPUs fits the
    first, not the fallback. The first pool is where the instances go when SageMaker has the
    capacity (an error if they do not fit); the second only on insufficient capacity (a
    warning that says so). An instance pool whose type is too small everywhere is an error."""
    pooled = {"endpoints/llm.yaml": estate()["endpoints/llm.yaml"].replace(
        "      instanceType: ml.g5.12xlarge\n",
        "      instancePools:\n        - {instanceType: ml.g5.12xlarge, priority: 1}\n"
        "        - {instanceType: ml.g5.2xlarge, priority: 2}\n")}
    assert pooled["endpoints/llm.yaml"] != estate()["endpoints/llm.yaml"]
    specs = write(tmp_path, {**estate(base=component(copies=1, gpus=2)), **pooled})
    found = plan(emu, specs)
    assert found.errors == []
    warnings = [p.message for p in found.problems if p.severity == "warning"]
    assert ("if SageMaker falls back to instance pool 2 (ml.g5.2xlarge) on insufficient "
            "capacity, the components' copies do not fit on variant main of endpoint llm: one "
            "copy of base needs 2 GPUs (an ml.g5.2xlarge has 1 GPU)") in warnings, warnings
    swapped = {"endpoints/llm.yaml": pooled["endpoints/llm.yaml"].replace(
        "priority: 1", "priority: 9").replace("priority: 2", "priority: 1").replace(
        "priority: 9", "priority: 2")}
    write(tmp_path, {**estate(base=component(copies=1, gpus=2)), **swapped})
    assert errors(emu, specs) == [
        "the components' copies do not fit on variant main of endpoint llm: one copy of base "
        "needs 2 GPUs (an ml.g5.2xlarge has 1 GPU)"]


def test_rule_49_components_share_the_variant(emu: Emulator, tmp_path: Path) -> None:
    """Two components of 2 copies x 2 GPUs: 8 GPUs, two ml.g5.12xlarge; the variant has at
    most one."""
    specs = write(tmp_path, estate(high=1, base=component(copies=2, gpus=2),
                                   other=component("other", copies=2, gpus=2)))
    assert errors(emu, specs) == [
        "the components' copies do not fit on variant main of endpoint llm: 2 copies x 2 GPUs "
        "(base) + 2 copies x 2 GPUs (other) need 2 x ml.g5.12xlarge; managedInstanceScaling "
        "max is 1"]


def test_rule_49_live_components_outside_the_specs_count(emu: Emulator, tmp_path: Path) -> None:
    """A component someone else put on the variant takes room: its live copies count, and the
    message says they are not in these specs; one list per endpoint finds it."""
    specs = write(tmp_path, estate(high=2, base=component(copies=2, gpus=2)))
    assert set(statuses(apply(emu, specs)).values()) == {"applied"}
    sm = client(emu)
    sm.create_inference_component(
        InferenceComponentName="other-team", EndpointName="llm", VariantName="main",
        Specification={"ModelName": described(emu)["Specification"]["ModelName"],
                       "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 2,
                                                       "MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 2})
    emu.advance(100_000)
    write(tmp_path, estate(high=2, base=component(copies=2, gpus=2),
                           more=component("more", copies=2, gpus=2)))
    before = emu.calls[("sagemaker", "ListInferenceComponents")]
    assert errors(emu, specs) == [
        "the components' copies do not fit on variant main of endpoint llm: 2 copies x 2 GPUs "
        "(base) + 2 copies x 2 GPUs (more) + 2 copies x 2 GPUs (other-team, live, not in these "
        "specs) need 3 x ml.g5.12xlarge; managedInstanceScaling max is 2"]
    assert emu.calls[("sagemaker", "ListInferenceComponents")] == before + 1
    sm.delete_inference_component(InferenceComponentName="other-team")
    emu.advance(100_000)
    assert errors(emu, specs) == []


# -- drift -----------------------------------------------------------------------------------------

def run_drift(emu: Emulator, specs: Path) -> DriftReport:
    actx = context(emu)
    try:
        return drift(load_specs(specs, KINDS, "dev"), actx.aws, actx.state, specs.parent)
    finally:
        actx.aws.close()


def test_drift_classes(emu: Emulator, tmp_path: Path) -> None:
    extra = AUTOSCALING % {"low": 1, "high": 4}
    # 3 instances: the hand-made update's new copies start next to the old ones (rule 53)
    specs = write(tmp_path, estate(high=3, base=component(copies=2, extra=extra)))
    assert set(statuses(apply(emu, specs)).values()) == {"applied"}
    assert not run_drift(emu, specs).items
    emu.scale_component("base", 3, region="eu-west-1", account="111111111111")
    emu.advance(600)
    report = run_drift(emu, specs)
    mine = [i for i in report.items if i.kind == "InferenceComponent"]
    assert [(i.address, i.drift_class) for i in mine] == [
        ("InferenceComponent.base", "autoscaler")]
    assert "runs 3 copies, the spec's initial count is 2 (bounds 1-4)" in mine[0].reason
    # the specification changed by hand
    model = described(emu)["Specification"]["ModelName"]
    client(emu).update_inference_component(InferenceComponentName="base", Specification={
        "ModelName": model, "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 1024}})
    emu.advance(3600)
    report = run_drift(emu, specs)
    found = {i.drift_class for i in report.items if i.address == "InferenceComponent.base"}
    assert found == {"out_of_band", "autoscaler"}, report.items


def test_deletions_wait_for_the_deletions_that_depend_on_them(emu: Emulator,
                                                              tmp_path: Path) -> None:
    """A component whose deletion fails keeps its endpoint and its model: their deletions in the
    same apply are not started, and say why."""
    specs = write(tmp_path, estate(base=component()))
    assert set(statuses(apply(emu, specs)).values()) == {"applied"}
    write(tmp_path, {"alarms/llm.yaml": estate()["alarms/llm.yaml"]}, prune=True)
    gone = plan(emu, specs)
    assert set(one(gone, "InferenceComponent.base").depends_on) == {"Endpoint.llm",
                                                                    "Model.llm-model"}
    emu.inject("denied", "sagemaker", "DeleteInferenceComponent", times=None)
    run = apply(emu, specs)
    got = statuses(run)
    assert got["InferenceComponent.base"] == "failed", run.result
    assert got["Endpoint.llm"] == "waiting" and got["Model.llm-model"] == "waiting", got
    reasons = {o.address: o.reason for o in run.result.outcomes}
    assert "not started: InferenceComponent.base failed" in reasons["Endpoint.llm"]
    assert "not started: InferenceComponent.base failed" in reasons["Model.llm-model"]
    sm = client(emu)
    assert sm.describe_endpoint(EndpointName="llm")["EndpointStatus"] == "InService"
    assert described(emu)["InferenceComponentStatus"] == "InService"
    assert sm.list_models()["Models"]


def test_a_component_waits_while_its_endpoint_is_busy(emu: Emulator, tmp_path: Path) -> None:
    """The endpoint exists but is busy (SageMaker's maintenance here; another run's update is the
    same): SageMaker
    places no component on it (rule 31), so the component's change waits instead of failing."""
    specs = write(tmp_path, estate())
    assert set(statuses(apply(emu, specs)).values()) == {"applied"}
    # SystemUpdating for the rest of the test, whatever the machine's load
    emu.system_update("llm", 10**6, region="eu-west-1", account="111111111111")
    write(tmp_path, estate(base=component()))
    change = one(plan(emu, specs), "InferenceComponent.base")
    assert change.waits == ("endpoint llm is SystemUpdating: SageMaker places no component on it "
                            "until it is InService"), change.waits
    run = apply(emu, specs)
    assert statuses(run)["InferenceComponent.base"] == "waiting", run.result
    assert client(emu).list_inference_components()["InferenceComponents"] == []
