"""`awsExtra` on the kinds compared field by field (Alarm, ModelPackageGroup, Pipeline): a
misspelt member is an error at its file:line:column naming the closest member, a valid one goes
into the Create/Put request and the next plan is empty, including for a member the emulator's
Describe does not return (sagemaker-rules.md rule 44). Rule 53: a member Describe echoes is read
back, so changing it is exactly that diff (Alarm: ActionConfiguration) or a plan error where no
update takes it (ModelPackageGroup: ManagedConfiguration); members AWS refuses with a metric
alarm (EvaluationInterval, EvaluationCriteria), and pipeline version aliases (which belong to
versions), are located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.plan.helpers import ROLE, one, plan, write

ALARM = """
apiVersion: sagectl/v1
kind: Alarm
metadata: {name: errors}
spec:
  namespace: AWS/SageMaker
  metricName: Invocation5XXErrors
  statistic: Sum
  period: 60
  evaluationPeriods: 1
  threshold: 1
  comparisonOperator: GreaterThanOrEqualToThreshold
  awsExtra:
    EXTRA
"""

GROUP = """
apiVersion: sagectl/v1
kind: ModelPackageGroup
metadata: {name: fraud}
spec:
  modelPackageGroupDescription: fraud models
  awsExtra:
    EXTRA
"""

DEFINITION = {"Version": "2020-12-01", "Parameters": [], "Steps": [
    {"Name": "Noop", "Type": "Fail", "Arguments": {"ErrorMessage": "noop"}}]}

PIPELINE = f"""
apiVersion: sagectl/v1
kind: Pipeline
metadata: {{name: training}}
spec:
  roleArn: {ROLE}
  pipelineDefinition: {json.dumps(DEFINITION)}
  awsExtra:
    EXTRA
"""

CASES = {
    "Alarm.errors": (ALARM, "actionConfig: {alarmTagsPropagation: {enabled: true}}",
                     "actionConfiguration: {alarmTagsPropagation: {enabled: true}}",
                     "cloudwatch:PutMetricAlarm", "ActionConfiguration",
                     {"AlarmTagsPropagation": {"Enabled": True}}),
    "ModelPackageGroup.fraud": (GROUP, "managedConfig: {managedStorageType: Restricted}",
                                "managedConfiguration: {managedStorageType: Restricted}",
                                "sagemaker:CreateModelPackageGroup", "ManagedConfiguration",
                                {"ManagedStorageType": "Restricted"}),
    "Pipeline.training": (PIPELINE, "pipelineVersionAlias: [v1]",
                          "pipelineVersionAliases: [stable]", "sagemaker:CreatePipeline",
                          "PipelineVersionAliases", ["stable"]),
}


@pytest.mark.parametrize("address", sorted(CASES))
def test_a_misspelt_member_is_located_and_names_the_closest(address: str,
                                                            tmp_path: Path) -> None:
    template, wrong, right, *_ = CASES[address]
    specs = write(tmp_path, {"r.yaml": template.replace("EXTRA", wrong)})
    found = list(load_specs(specs, KINDS, "dev").report.errors)
    assert len(found) == 1, [d.text() for d in found]
    d = found[0]
    line = template.replace("EXTRA", wrong).lstrip("\n").splitlines().index("    " + wrong) + 1
    assert (Path(d.pos.file).name, d.pos.line, d.pos.column) == ("r.yaml", line, 5)
    assert f"did you mean `{right.split(':')[0]}`?" in d.message


@pytest.mark.parametrize("address", sorted(set(CASES) - {"Pipeline.training"}))
def test_a_valid_member_reaches_the_request_and_the_next_plan_is_empty(
        emu: Emulator, address: str, tmp_path: Path) -> None:
    template, _, right, op, member, value = CASES[address]
    specs = write(tmp_path, {"r.yaml": template.replace("EXTRA", right)})
    change = one(plan(emu, specs), address)
    assert any(e.path.startswith("awsExtra") for e in change.diff)
    step = next(s for s in change.steps if s.op == op)
    assert step.params[member] == value
    apply(emu, specs)
    assert plan(emu, specs).resource_changes == []


@pytest.mark.parametrize(("template", "member", "words"), [
    (ALARM, "evaluationInterval: 60", "cannot be specified for alarms configured with"),
    (ALARM, "evaluationCriteria: {promQLCriteria: {query: up}}", "a PromQL alarm"),
    (PIPELINE, "pipelineVersionAliases: [stable]", "name pipeline versions, not the pipeline"),
])
def test_rule_55_members_aws_refuses_here_are_located_errors(
        template: str, member: str, words: str, tmp_path: Path) -> None:
    """Members a metric alarm cannot carry (PutMetricAlarm), and pipeline version aliases
    (UpdatePipeline takes them only with a new definition and not while another version holds
    them), are refused at their key before AWS is called: a plan would otherwise claim what
    AWS refuses, or a perpetual diff."""
    text = template.replace("EXTRA", member)
    found = list(load_specs(write(tmp_path, {"r.yaml": text}), KINDS, "dev").report.errors)
    assert len(found) == 1, [d.text() for d in found]
    d = found[0]
    line = text.lstrip("\n").splitlines().index("    " + member) + 1
    assert (Path(d.pos.file).name, d.pos.line, d.pos.column) == ("r.yaml", line, 5)
    assert words in d.message, d.message


def test_rule_55_an_alarm_extra_read_back_changes_as_exactly_that_diff(
        emu: Emulator, tmp_path: Path) -> None:
    """DescribeAlarms answers ActionConfiguration: after apply the plan is empty, a changed
    value is exactly that diff (PutMetricAlarm with the new value), and so is its removal.
    Before the emulator kept it, a change planned nothing (the wanted value was taken as
    live)."""
    on = "actionConfiguration: {alarmTagsPropagation: {enabled: true}}"
    specs = write(tmp_path, {"r.yaml": ALARM.replace("EXTRA", on)})
    apply(emu, specs)
    assert plan(emu, specs).resource_changes == []
    off = on.replace("true", "false")
    specs = write(tmp_path, {"r.yaml": ALARM.replace("EXTRA", off)})
    change = one(plan(emu, specs), "Alarm.errors")
    assert [(e.path, e.before, e.after) for e in change.diff] == [
        ("awsExtra.actionConfiguration.alarmTagsPropagation.enabled", True, False)]
    (step,) = [s for s in change.steps if s.op == "cloudwatch:PutMetricAlarm"]
    assert step.params["ActionConfiguration"] == {"AlarmTagsPropagation": {"Enabled": False}}
    apply(emu, specs)
    assert plan(emu, specs).resource_changes == []
    gone = ALARM.replace("  awsExtra:\n    EXTRA\n", "")
    change = one(plan(emu, write(tmp_path, {"r.yaml": gone})), "Alarm.errors")
    assert [(e.path, e.before, e.after) for e in change.diff] == [
        ("awsExtra.actionConfiguration.alarmTagsPropagation.enabled", False, None)]
    (step,) = [s for s in change.steps if s.op == "cloudwatch:PutMetricAlarm"]
    assert "ActionConfiguration" not in step.params  # PutMetricAlarm overwrites the whole alarm


def test_rule_55_a_group_extra_read_back_cannot_change(emu: Emulator, tmp_path: Path) -> None:
    """DescribeModelPackageGroup answers ManagedConfiguration; SageMaker has no update for a
    group, so leaving it out afterwards is a plan error naming it, never a silent no-op."""
    extra = "managedConfiguration: {managedStorageType: Restricted}"
    specs = write(tmp_path, {"r.yaml": GROUP.replace("EXTRA", extra)})
    apply(emu, specs)
    assert plan(emu, specs).resource_changes == []
    gone = GROUP.replace("  awsExtra:\n    EXTRA\n", "")
    result = plan(emu, write(tmp_path, {"r.yaml": gone}))
    assert result.resource_changes == []
    (problem,) = result.errors
    assert problem.address == "ModelPackageGroup.fraud"
    assert "awsExtra cannot change after creation" in problem.message, problem.message
    assert "awsExtra" in problem.message


def test_rule_55_a_warm_up_change_is_planned(emu: Emulator, tmp_path: Path) -> None:
    """WarmUpConfiguration is answered by DescribeAlarms too: a new duration is exactly that
    diff (before the emulator kept it, the change planned nothing)."""
    warm = "warmUpConfiguration: {warmUpPeriodDurationInMinutes: 15}"
    specs = write(tmp_path, {"r.yaml": ALARM.replace("EXTRA", warm)})
    apply(emu, specs)
    assert plan(emu, specs).resource_changes == []
    specs = write(tmp_path, {"r.yaml": ALARM.replace("EXTRA", warm.replace("15", "30"))})
    change = one(plan(emu, specs), "Alarm.errors")
    assert [(e.path, e.before, e.after) for e in change.diff] == [
        ("awsExtra.warmUpConfiguration.warmUpPeriodDurationInMinutes", 15, 30)]
