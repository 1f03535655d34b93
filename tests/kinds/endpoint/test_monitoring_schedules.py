"""An endpoint replaced or deleted while Model Monitor schedules watch it, against the emulator:
a replacement stops the Scheduled ones before DeleteEndpoint and starts them once the new
endpoint is InService (undone on failure); a deletion warns about the schedules that stay; a
converged plan does not list schedules (``reconciler/kinds/endpoint/monitoring.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.contract import Registry
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.emulator.monitoring_helpers import schedule as emulator_schedule
from tests.emulator.monitoring_helpers import status
from tests.kinds.monitoring_job.helpers import MODEL
from tests.kinds.monitoring_schedule.helpers import (
    create_definition,
    definition,
    endpoint,
    kinds,
    schedule,
    sm,
)
from tests.plan.helpers import one, ops, plan, write

__all__ = ["kinds"]

ASYNC = """
  asyncInferenceConfig:
    outputConfig: {s3OutputPath: s3://bucket/async/}
"""
CAPTURE = """
  dataCaptureConfig:
    initialSamplingPercentage: 20
    destinationS3Uri: s3://bucket/capture/
    captureOptions: [{captureMode: Input}, {captureMode: Output}]
"""
LIST = ("sagemaker", "ListMonitoringSchedules")
STOP, START = ("sagemaker", "StopMonitoringSchedule"), ("sagemaker", "StartMonitoringSchedule")


def files(async_inference: bool = True) -> dict[str, str]:
    """An async endpoint that captures data, a definition watching it, and two schedules: one
    running, one stopped. Dropping async inference needs a replacement."""
    ep = endpoint(CAPTURE + (ASYNC if async_inference else "  allowReplacement: true\n"))
    return {"models/fraud-model.yaml": MODEL, "endpoints/fraud.yaml": ep,
            "monitoring/dq.yaml": definition(),
            "monitoring/fraud-dq.yaml": schedule(),
            "monitoring/fraud-dq-off.yaml": schedule("fraud-dq-off", status="stopped")}


def applied(emu: Emulator, specs: Path, prune: bool | None = None) -> None:
    run = apply(emu, specs, prune=prune)
    assert set(statuses(run).values()) == {"applied"}, run.result


@pytest.fixture
def watched(emu: Emulator, tmp_path: Path, kinds: Registry) -> Path:
    """The estate applied: fraud-dq Scheduled, fraud-dq-off Stopped; then the spec that
    replaces the endpoint."""
    specs = write(tmp_path, files())
    applied(emu, specs)
    assert (status(sm(emu), "fraud-dq"), status(sm(emu), "fraud-dq-off")) == ("Scheduled",
                                                                             "Stopped")
    return write(tmp_path, files(async_inference=False))


def test_a_replacement_stops_the_running_schedule_and_starts_it_after(emu: Emulator,
                                                                     watched: Path) -> None:
    the_plan = plan(emu, watched)
    change = one(the_plan, "Endpoint.fraud")
    assert change.action_reason == "replace_because_immutable"
    steps = ops(change)
    stop = steps.index("sagemaker:StopMonitoringSchedule")
    start = steps.index("sagemaker:StartMonitoringSchedule")
    wait_in_service = steps.index("sagectl:wait", steps.index("sagemaker:CreateEndpoint"))
    assert stop < steps.index("sagemaker:DeleteEndpoint") < wait_in_service < start
    assert steps.count("sagemaker:StopMonitoringSchedule") == 1 and \
        steps.count("sagemaker:StartMonitoringSchedule") == 1
    assert change.steps[stop].target == change.steps[start].target == "fraud-dq"
    assert change.steps[stop].undo[0].op == "sagemaker:StartMonitoringSchedule"
    assert change.steps[start].undo[0].op == "sagemaker:StopMonitoringSchedule"
    assert change.consequences["monitoring_schedules_stopped"] == ["fraud-dq"]
    summary = "\n".join(change.consequences["summary"])
    assert "stops monitoring schedule(s) fraud-dq (watching fraud)" in summary
    assert "no monitoring run against a missing endpoint" in summary
    assert "fraud-dq-off (Stopped)" in summary and "not deleted" in summary
    # the schedule kind plans nothing for either schedule in the same plan
    assert [c.address for c in the_plan.resource_changes] == ["Endpoint.fraud"]

    before = emu.calls[STOP], emu.calls[START]
    applied(emu, watched)
    assert (emu.calls[STOP], emu.calls[START]) == (before[0] + 1, before[1] + 1)
    assert (status(sm(emu), "fraud-dq"), status(sm(emu), "fraud-dq-off")) == ("Scheduled",
                                                                             "Stopped")
    after = plan(emu, watched)
    assert not after.resource_changes and not after.problems, (after.resource_changes,
                                                                after.problems)


def test_a_failed_replacement_starts_the_schedule_again(emu: Emulator, watched: Path) -> None:
    emu.fail_next_create("fraud")
    before = emu.calls[STOP], emu.calls[START]
    run = apply(emu, watched)
    assert statuses(run)["Endpoint.fraud"] != "applied"
    # stopped before the delete, started again by the stop's undo
    assert (emu.calls[STOP], emu.calls[START]) == (before[0] + 1, before[1] + 1)
    assert (status(sm(emu), "fraud-dq"), status(sm(emu), "fraud-dq-off")) == ("Scheduled",
                                                                             "Stopped")


def test_a_converged_plan_lists_no_schedules(emu: Emulator, tmp_path: Path,
                                             kinds: Registry) -> None:
    specs = write(tmp_path, files())
    applied(emu, specs)
    before = emu.calls[LIST]
    again = plan(emu, specs)
    assert not again.resource_changes
    assert emu.calls[LIST] == before
    assert "sagemaker:ListMonitoringSchedules" not in again.reads


def test_a_deleted_endpoint_warns_about_the_schedules_that_stay(emu: Emulator, tmp_path: Path,
                                                                kinds: Registry) -> None:
    base = {"models/fraud-model.yaml": MODEL, "endpoints/fraud.yaml": endpoint(CAPTURE),
            "monitoring/dq.yaml": definition(), "monitoring/fraud-dq.yaml": schedule()}
    specs = write(tmp_path, base)
    applied(emu, specs)
    create_definition(emu, "theirs-dq")  # not managed by sagectl
    emulator_schedule(sm(emu), "theirs", job="theirs-dq")
    write(tmp_path, {"models/fraud-model.yaml": MODEL}, prune=True)
    the_plan = plan(emu, specs)
    assert one(the_plan, "Endpoint.fraud").actions == ["delete"]
    assert one(the_plan, "MonitoringSchedule.fraud-dq").actions == ["delete"]
    warnings = [p for p in the_plan.problems if p.address == "Endpoint.fraud"]
    assert [(p.severity, p.message) for p in warnings] == [(
        "warning", "monitoring schedule theirs watches endpoint fraud, which this plan deletes: "
                   "its runs will find no endpoint")]
    assert not any("refuse" in p.message for p in the_plan.problems)
    # nothing stops or deletes their schedule
    assert not any(s.target == "theirs" for c in the_plan.resource_changes for s in c.steps)
