"""`awsExtra` on the kinds compared field by field (Alarm, ModelPackageGroup, Pipeline): a
misspelt member is an error at its file:line:column naming the closest member, a valid one goes
into the Create/Put request and the next plan is empty, including for a member the emulator's
Describe does not return (sagemaker-rules.md rule 44)."""

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
    "Alarm.errors": (ALARM, "evaluationIntervl: 60", "evaluationInterval: 60",
                     "cloudwatch:PutMetricAlarm", "EvaluationInterval", 60),
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


@pytest.mark.parametrize("address", sorted(CASES))
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
