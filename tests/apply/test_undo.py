"""On failure, what ran is undone as the plan said (``Step.undo``, planned from what was read),
newest first: an alarm update gets its previous definition back, a pipeline update its previous
definition and tags, an endpoint update is rolled back to the config the plan read as live, and
the model created for it is deleted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from reconciler.apply.context import APPLIED, ROLLED_BACK
from reconciler.apply.stage import ApplyRun, apply_plan, prepare
from reconciler.cli.registry import KINDS
from reconciler.kinds._live import not_found
from reconciler.kinds.alarm.plan import restore_request
from reconciler.plan.context import PlanOptions
from reconciler.plan.model import ResourceChange
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context, statuses
from tests.apply.test_apply import BASE, describe, new_model
from tests.kinds.endpoint.test_plan_changes import ALARM
from tests.kinds.pipeline.test_apply import START, changed, live_definition, sm
from tests.kinds.pipeline.test_plan import DEFINITION, PIPELINE, files
from tests.plan.helpers import aws_for, one, write


def apply_with_events(emu: Emulator, specs: Path, max_attempts: int = 2
                      ) -> tuple[ApplyRun, list[dict[str, Any]]]:
    """sagectl's apply (as ``helpers.apply``), with the events it emitted."""
    actx = context(emu, max_attempts)
    try:
        run = prepare(actx, load_specs(specs, KINDS, "dev"), specs.parent, PlanOptions())
        assert not run.plan.errors and not run.moved
        return apply_plan(actx, run), actx.events.emitted
    finally:
        actx.aws.close()


def undone(events: list[dict[str, Any]], address: str) -> list[tuple[str, str]]:
    """The undo calls made for ``address``, in the order they ran."""
    return [(e["op"], e["target"]) for e in events
            if e["event"] == "undo" and e["address"] == address and "op" in e]


def planned(change: ResourceChange, ran: int) -> list[tuple[str, str]]:
    """The undo the plan gave the first ``ran`` steps of ``change``, newest first."""
    return [(u.op, u.target) for step in reversed(change.steps[:ran]) for u in step.undo]


def test_an_alarm_update_is_undone_to_its_previous_definition(emu: Emulator,
                                                               tmp_path: Path) -> None:
    specs = write(tmp_path, {"alarm.yaml": ALARM})
    assert statuses(apply(emu, specs)) == {"Alarm.scorer-errors": APPLIED}
    write(tmp_path, {"alarm.yaml": ALARM.replace("threshold: 5", "threshold: 9")
                     + "  tags: {team: fraud}\n"})
    emu.inject("5xx", service="cloudwatch", action="TagResource", times=10)
    run, events = apply_with_events(emu, specs, max_attempts=1)

    assert statuses(run) == {"Alarm.scorer-errors": ROLLED_BACK}
    change = one(run.plan, "Alarm.scorer-errors")
    assert [s.op for s in change.steps] == ["cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"]
    (restore,) = change.steps[0].undo
    assert restore.op == "cloudwatch:PutMetricAlarm" and restore.params["Threshold"] == 5.0
    assert undone(events, change.address) == planned(change, 1)
    aws = aws_for(emu)
    try:
        (live,) = aws.client("cloudwatch").describe_alarms(
            AlarmNames=["scorer-errors"])["MetricAlarms"]
    finally:
        aws.close()
    assert restore_request(live) == restore.params  # the whole previous definition, as planned


def test_an_alarm_undo_puts_its_previous_extras_back(emu: Emulator, tmp_path: Path) -> None:
    """PutMetricAlarm overwrites the whole alarm (rule 55), so the undo of an update that
    changed an `awsExtra` member must carry the previous value: here ActionConfiguration, which
    DescribeAlarms answers. Catches an undo built from the modelled fields only (it would
    leave the new notification settings, or clear them)."""
    before = {"enabled": True, "includedTagKeys": ["team"]}
    extra = ("  awsExtra:\n    actionConfiguration:\n      alarmTagsPropagation: "
             "{enabled: true, includedTagKeys: [team]}\n")
    specs = write(tmp_path, {"alarm.yaml": ALARM + extra})
    assert statuses(apply(emu, specs)) == {"Alarm.scorer-errors": APPLIED}
    write(tmp_path, {"alarm.yaml": ALARM.replace("threshold: 5", "threshold: 9")
                     + extra.replace("{enabled: true, includedTagKeys: [team]}",
                                     "{enabled: false}") + "  tags: {team: fraud}\n"})
    emu.inject("5xx", service="cloudwatch", action="TagResource", times=10)
    run, events = apply_with_events(emu, specs, max_attempts=1)

    assert statuses(run) == {"Alarm.scorer-errors": ROLLED_BACK}
    change = one(run.plan, "Alarm.scorer-errors")
    assert change.steps[0].params["ActionConfiguration"] == {
        "AlarmTagsPropagation": {"Enabled": False}}
    (restore,) = change.steps[0].undo
    assert restore.params["ActionConfiguration"] == {
        "AlarmTagsPropagation": {"Enabled": True, "IncludedTagKeys": ["team"]}}
    assert undone(events, change.address) == planned(change, 1)
    aws = aws_for(emu)
    try:
        (live,) = aws.client("cloudwatch").describe_alarms(
            AlarmNames=["scorer-errors"])["MetricAlarms"]
    finally:
        aws.close()
    assert live["Threshold"] == 5.0
    assert live["ActionConfiguration"] == {"AlarmTagsPropagation": {
        "Enabled": before["enabled"], "IncludedTagKeys": before["includedTagKeys"]}}


def test_a_pipeline_update_is_undone_to_its_previous_definition_and_tags(
        emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, files(spec=PIPELINE + START))
    assert statuses(apply(emu, specs)) == {"Pipeline.training": APPLIED}
    arn = sm(emu).describe_pipeline(PipelineName="training")["PipelineArn"]
    tags = sm(emu).list_tags(ResourceArn=arn)["Tags"]
    write(tmp_path, files(changed(DEFINITION), spec=PIPELINE + START + "  tags: {team: ml}\n"))
    emu.fail_next_execution("training", "Step Train failed: AlgorithmError: bad max_depth")
    run, events = apply_with_events(emu, specs)

    assert statuses(run) == {"Pipeline.training": ROLLED_BACK}
    change = one(run.plan, "Pipeline.training")
    assert [s.op for s in change.steps] == [
        "sagemaker:UpdatePipeline", "sagemaker:AddTags", "sagemaker:StartPipelineExecution",
        "sagectl:wait-pipeline-execution"]
    assert change.steps[2].irreversible  # the execution that failed stays, to be looked at
    assert undone(events, change.address) == planned(change, 3)
    (restore,) = change.steps[0].undo
    assert json.loads(restore.params["PipelineDefinition"]) == DEFINITION
    assert live_definition(emu) == DEFINITION
    assert sorted(sm(emu).list_tags(ResourceArn=arn)["Tags"], key=str) == sorted(tags, key=str)


def test_an_endpoint_update_is_rolled_back_to_the_config_the_plan_read(
        emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, BASE)
    assert set(statuses(apply(emu, specs)).values()) == {APPLIED}
    old = describe(emu)["EndpointConfigName"]
    specs = write(tmp_path, {**BASE, **new_model()})
    emu.fail_next_update("scorer", "silent_rollback")
    run, events = apply_with_events(emu, specs)

    assert statuses(run) == {"Model.scorer-model": ROLLED_BACK, "Endpoint.scorer": ROLLED_BACK}
    endpoint = one(run.plan, "Endpoint.scorer")
    steps = {s.op: s for s in endpoint.steps}
    (back,) = steps["sagemaker:UpdateEndpoint"].undo
    assert (back.op, back.params["EndpointConfigName"]) == ("sagemaker:UpdateEndpoint", old)
    assert describe(emu)["EndpointConfigName"] == old  # the rollback went where the plan said
    (deleted,) = steps["sagemaker:CreateEndpointConfig"].undo
    assert deleted.op == "sagemaker:DeleteEndpointConfig"
    with pytest.raises(ClientError) as gone:
        sm(emu).describe_endpoint_config(EndpointConfigName=deleted.target)
    assert not_found(gone.value)
    # the model made only for it: its planned undo ran
    model = one(run.plan, "Model.scorer-model")
    assert undone(events, model.address) == planned(model, 1) == [
        ("sagemaker:DeleteModel", model.steps[0].target)]
    assert not [m for m in sm(emu).list_models()["Models"]
                if m["ModelName"] == model.steps[0].target]
