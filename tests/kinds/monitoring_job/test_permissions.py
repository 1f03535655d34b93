"""The IAM policy for job definitions: one statement for the four types (in every policy, so the
apply that prunes the last definitions may delete them), and the monitoring role passed to
SageMaker."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.kinds.monitoring_job.helpers import definition, estate
from tests.plan.helpers import ROLE, write

Cli = Callable[..., tuple[int, str, str]]
TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")


def statements(cli: Cli, specs: Path, mode: str = "apply") -> dict[str, dict[str, object]]:
    code, out, err = cli("iam-policy", str(specs), "--env", "dev", "--mode", mode)
    assert code == 0, err
    return {s["Sid"]: s for s in json.loads(out)["Statement"]}


def test_definitions_and_their_role(cli: Cli, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(dq=definition("DataQuality")))
    by_sid = statements(cli, specs)
    found = by_sid["SageMakerMonitoringJobDefinitions"]
    assert found["Resource"] == sorted(
        f"arn:aws:sagemaker:eu-west-1:111111111111:{kind}-job-definition/*"
        for kind in ("data-quality", "model-quality", "model-bias", "model-explainability"))
    actions = set(found["Action"])  # type: ignore[call-overload]
    for mtype in TYPES:
        assert {f"sagemaker:{verb}{mtype}JobDefinition"
                for verb in ("Create", "Describe", "Delete")} <= actions
    assert {"sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags"} <= actions
    assert "sagemaker:ListMonitoringSchedules" in by_sid["SageMakerList"]["Action"]  # type: ignore[operator]
    passing = by_sid["PassRoleToSageMaker"]
    assert ROLE in passing["Resource"]  # type: ignore[operator]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    plan_only = statements(cli, specs, "plan")["SageMakerMonitoringJobDefinitions"]
    assert not any(a.startswith(("sagemaker:Create", "sagemaker:Delete"))
                   for a in plan_only["Action"])  # type: ignore[union-attr]


def test_specs_without_definitions_may_still_delete_the_last_ones(cli: Cli,
                                                                   tmp_path: Path) -> None:
    """Pruning the last definitions runs with the policy of specs that have none."""
    actions = statements(cli, write(tmp_path, estate()))[
        "SageMakerMonitoringJobDefinitions"]["Action"]
    assert {f"sagemaker:Delete{t}JobDefinition" for t in TYPES} <= set(actions)  # type: ignore[arg-type]
