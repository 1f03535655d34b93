"""Planning and applying the four job definition kinds against the emulator: created under
content names, published for schedules, unchanged once applied, tags changed in place, a
content change creates a new version and deletes the earlier one no schedule uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.kinds._monitoring import (
    CLOSED_TO_NEW_CUSTOMERS,
    MONITORING_TYPES,
    DefinitionRef,
    definition_key,
)
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.kinds.monitoring_job.helpers import (
    NAMES,
    definition,
    estate,
    live_definitions,
    sm,
)
from tests.plan.helpers import aws_for, one, ops, plan, write

TYPES = list(MONITORING_TYPES)


@pytest.mark.parametrize("mtype", TYPES)
def test_plan_apply_then_nothing_to_do(emu: Emulator, tmp_path: Path, mtype: str) -> None:
    kind, name = MONITORING_TYPES[mtype], NAMES[mtype]
    specs = write(tmp_path, estate(d=definition(mtype)))
    first = plan(emu, specs)
    change = one(first, f"{kind}.{name}")
    aws_name = change.consequences["aws_name"]
    assert aws_name.startswith(f"{name}-") and len(aws_name) == len(name) + 9
    assert ops(change) == [f"sagemaker:Create{kind}"]
    assert change.action_reason.value == "new" and change.depends_on == ["Endpoint.fraud"]
    assert change.steps[0].undo[0].op == f"sagemaker:Delete{kind}"
    run = apply(emu, specs)
    assert statuses(run)[f"{kind}.{name}"] == "applied"
    assert live_definitions(emu, mtype) == [aws_name]
    again = plan(emu, specs)
    assert again.resource_changes == [] and not again.problems


@pytest.mark.parametrize("mtype", TYPES)
def test_the_request_sagectl_sends(emu: Emulator, tmp_path: Path, mtype: str) -> None:
    """The spec in boto3 form: the endpoint by name, the output, the role, the ownership tags."""
    kind, name = MONITORING_TYPES[mtype], NAMES[mtype]
    specs = write(tmp_path, estate(d=definition(mtype, tags="  tags: {team: risk}\n")))
    params = one(plan(emu, specs), f"{kind}.{name}").steps[0].params
    job_input = params[f"{mtype}JobInput"]
    assert job_input["EndpointInput"]["EndpointName"] == "fraud"
    assert ("GroundTruthS3Input" in job_input) == (mtype in ("ModelQuality", "ModelBias"))
    assert params["JobResources"]["ClusterConfig"]["VolumeSizeInGB"] == 20
    assert params["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    tags = {t["Key"]: t["Value"] for t in params["Tags"]}
    assert tags["team"] == "risk" and tags["sagectl:address"] == f"{kind}.{name}"


def test_each_definition_publishes_its_ref(emu: Emulator, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """What the schedule kind reads: the content name, the type, the endpoint, created or not."""
    from reconciler.cli.registry import KINDS
    from reconciler.plan.context import PlanOptions
    from reconciler.plan.planner import make_plan
    from reconciler.spec.load import load_specs
    from tests.plan.helpers import environment_key

    specs = write(tmp_path, estate(d=definition("DataQuality")))
    seen: dict[str, DefinitionRef] = {}
    original = KINDS["DataQualityJobDefinition"].plan

    def spy(ctx, desired):  # type: ignore[no-untyped-def]
        result = original(ctx, desired)
        seen.update({k: v for k, v in ctx.shared.items() if k.startswith("monitoring-job")})
        return result

    aws = aws_for(emu)
    try:
        loaded = load_specs(specs, KINDS, "dev")
        monkeypatch.setattr(KINDS["DataQualityJobDefinition"], "plan", spy)
        the_plan = make_plan(loaded, aws, specs.parent, PlanOptions(
            digest_key=lambda: environment_key(emu, aws, "dev")))
    finally:
        aws.close()
    ref = seen[definition_key("DataQualityJobDefinition", "fraud-dq")]
    aws_name = one(the_plan, "DataQualityJobDefinition.fraud-dq").consequences["aws_name"]
    assert ref == DefinitionRef("DataQualityJobDefinition", "fraud-dq", aws_name, "DataQuality",
                                "fraud", True)
    assert ref.address == "DataQualityJobDefinition.fraud-dq"


def test_tags_change_in_place(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(d=definition("DataQuality", tags="  tags: {team: risk}\n")))
    apply(emu, specs)
    (aws_name,) = live_definitions(emu, "DataQuality")
    write(tmp_path, estate(d=definition("DataQuality", tags="  tags: {team: fraud}\n")))
    change = one(plan(emu, specs), "DataQualityJobDefinition.fraud-dq")
    assert change.action_reason.value == "tags_only"
    assert ops(change) == ["sagemaker:AddTags"]
    apply(emu, specs)
    assert live_definitions(emu, "DataQuality") == [aws_name]
    arn = sm(emu).describe_data_quality_job_definition(
        JobDefinitionName=aws_name)["JobDefinitionArn"]
    tags = {t["Key"]: t["Value"] for t in sm(emu).list_tags(ResourceArn=arn)["Tags"]}
    assert tags["team"] == "fraud"
    assert plan(emu, specs).resource_changes == []


def test_a_definition_sagectl_does_not_manage_is_a_problem(emu: Emulator,
                                                           tmp_path: Path) -> None:
    specs = write(tmp_path, estate(d=definition("DataQuality")))
    the_plan = plan(emu, specs)
    params = dict(one(the_plan, "DataQualityJobDefinition.fraud-dq").steps[0].params)
    params["Tags"] = []
    sm(emu).create_data_quality_job_definition(**params)
    again = plan(emu, specs)
    assert [c.address for c in again.resource_changes if "JobDefinition" in c.kind] == []
    (problem,) = [p for p in again.problems if p.address == "DataQualityJobDefinition.fraud-dq"]
    assert "already exists and is not managed by sagectl" in problem.message


def test_a_create_says_model_monitor_is_closed_to_new_customers(emu: Emulator,
                                                                 tmp_path: Path) -> None:
    """The environment's first definition: the plan says what AWS says about Model Monitor's
    availability (rule 62), once the environment has one, it no longer does."""
    specs = write(tmp_path, estate(d=definition("DataQuality")))
    first = one(plan(emu, specs), "DataQualityJobDefinition.fraud-dq").consequences["summary"]
    assert [line for line in first if "closed to new customers" in line] == [
        CLOSED_TO_NEW_CUSTOMERS]
    apply(emu, specs)
    second = write(tmp_path / "more", estate(d=definition("DataQuality"),
                                             q=definition("ModelQuality")))
    later = one(plan(emu, second), "ModelQualityJobDefinition.fraud-mq").consequences["summary"]
    assert not any("closed to new customers" in line for line in later)
