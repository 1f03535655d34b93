"""SageMaker Pipelines in the emulator: definitions checked, versions minted by UpdatePipeline,
executions on the simulated clock (injected failures, stop, idempotent start, parameters)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from sagemaker_emulator.server import RemoteEmulator
from tests.emulator.helpers import error_code

ROLE = "arn:aws:iam::123456789012:role/pipelines"
ARN = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/"


def definition(*steps: str, version: str = "2020-12-01") -> str:
    return json.dumps({"Version": version,
                       "Parameters": [{"Name": "Threshold", "Type": "Float",
                                       "DefaultValue": 0.5}],
                       "Steps": [{"Name": s, "Type": "Training", "Arguments": {}}
                                 for s in steps or ("Train",)]})


def create(sm: Any, name: str = "train", text: str | None = None, token: str = "c" * 32,
           **extra: Any) -> str:
    return sm.create_pipeline(PipelineName=name, RoleArn=ROLE, ClientRequestToken=token,
                              PipelineDefinition=text or definition(), **extra)["PipelineArn"]


def start(sm: Any, name: str = "train", token: str | None = None, **extra: Any) -> str:
    kwargs = {"ClientRequestToken": token} if token else {}
    return sm.start_pipeline_execution(PipelineName=name, **kwargs, **extra)[
        "PipelineExecutionArn"]


def run(sm: Any, arn: str) -> dict[str, Any]:
    return sm.describe_pipeline_execution(PipelineExecutionArn=arn)


@pytest.fixture
def sm(emu: Emulator) -> Any:
    emu.freeze()
    return emu.client("sagemaker")


# -- definitions ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    (json.dumps({"Steps": [{"Name": "a", "Type": "Fail"}]}), "Version must be a string"),
    (json.dumps({"Version": 2020, "Steps": [{"Name": "a", "Type": "Fail"}]}),
     "Version must be a string"),
    (json.dumps({"Version": "2020-12-01"}), "Steps must be a non-empty list"),
    (json.dumps({"Version": "2020-12-01", "Steps": []}), "Steps must be a non-empty list"),
    (json.dumps({"Version": "2020-12-01", "Steps": [{"Name": "a"}]}), "needs a Name and a Type"),
    (json.dumps({"Version": "2020-12-01", "Steps": [{"Name": "a", "Type": "Fail"},
                                                    {"Name": "a", "Type": "Fail"}]}),
     "duplicate step name 'a'"),
])
def test_an_invalid_definition_is_refused(sm: Any, text: str, message: str) -> None:
    with pytest.raises(ClientError) as exc:
        create(sm, text=text)
    assert error_code(exc.value) == "ValidationException"
    assert message in exc.value.response["Error"]["Message"]
    assert sm.list_pipelines()["PipelineSummaries"] == []


def test_an_invalid_update_is_refused_and_changes_nothing(emu: Emulator, sm: Any) -> None:
    create(sm)
    with pytest.raises(ClientError) as exc:
        sm.update_pipeline(PipelineName="train", PipelineDefinition='{"Version": "1"}')
    assert error_code(exc.value) == "ValidationException"
    assert sm.describe_pipeline(PipelineName="train")["PipelineDefinition"] == definition()
    assert emu.pipeline_versions("train") == 1


def test_an_inline_definition_over_1_mib_is_refused_and_s3_takes_it(emu: Emulator,
                                                                     sm: Any) -> None:
    big = json.dumps({"Version": "2020-12-01", "Steps": [
        {"Name": "Train", "Type": "Training", "Arguments": {"Blob": "x" * (1 << 20)}}]})
    with pytest.raises(ClientError) as exc:
        create(sm, text=big)
    assert error_code(exc.value) == "ValidationException"
    assert "1048576" in exc.value.response["Error"]["Message"]
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="pipeline-defs")
    s3.put_object(Bucket="pipeline-defs", Key="train.json", Body=big.encode())
    sm.create_pipeline(PipelineName="train", RoleArn=ROLE, ClientRequestToken="c" * 32,
                       PipelineDefinitionS3Location={"Bucket": "pipeline-defs",
                                                     "ObjectKey": "train.json"})
    assert sm.describe_pipeline(PipelineName="train")["PipelineDefinition"] == big


def test_an_s3_definition_is_read_by_version_and_returned_as_json(emu: Emulator,
                                                                  sm: Any) -> None:
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="pipeline-defs")
    s3.put_bucket_versioning(Bucket="pipeline-defs",
                             VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket="pipeline-defs", Key="d.json",
                          Body=definition("One").encode())["VersionId"]
    s3.put_object(Bucket="pipeline-defs", Key="d.json", Body=definition("Two").encode())
    sm.create_pipeline(PipelineName="train", RoleArn=ROLE, ClientRequestToken="c" * 32,
                       PipelineDefinitionS3Location={"Bucket": "pipeline-defs",
                                                     "ObjectKey": "d.json", "VersionId": first})
    described = sm.describe_pipeline(PipelineName="train")["PipelineDefinition"]
    assert json.loads(described)["Steps"][0]["Name"] == "One"  # JSON text, not a Python repr
    sm.update_pipeline(PipelineName="train", PipelineDefinitionS3Location={
        "Bucket": "pipeline-defs", "ObjectKey": "d.json"})
    assert sm.describe_pipeline(PipelineName="train")["PipelineDefinition"] == definition("Two")
    s3.put_object(Bucket="pipeline-defs", Key="bad.json", Body=b'{"Version": "1", "Steps": []}')
    for key in ("missing.json", "bad.json"):
        with pytest.raises(ClientError) as exc:
            sm.update_pipeline(PipelineName="train", PipelineDefinitionS3Location={
                "Bucket": "pipeline-defs", "ObjectKey": key})
        assert error_code(exc.value) == "ValidationException"
    assert emu.pipeline_versions("train") == 2


# -- versions ---------------------------------------------------------------------------------

def test_update_bumps_last_modified_time_and_mints_a_version(emu: Emulator, sm: Any) -> None:
    create(sm)
    created = sm.describe_pipeline(PipelineName="train")
    assert created["CreationTime"] == created["LastModifiedTime"]
    emu.advance(90)
    updated = sm.update_pipeline(PipelineName="train", PipelineDefinition=definition("A", "B"),
                                 PipelineDescription="two steps")
    assert updated["PipelineVersionId"] == 2
    after = sm.describe_pipeline(PipelineName="train")
    assert after["CreationTime"] == created["CreationTime"]
    assert (after["LastModifiedTime"] - created["LastModifiedTime"]).total_seconds() == \
        pytest.approx(90, abs=0.01)
    assert (after["PipelineDescription"], after["PipelineDefinition"]) == (
        "two steps", definition("A", "B"))
    emu.advance(10)
    assert sm.update_pipeline(PipelineName="train")["PipelineVersionId"] == 3  # every call
    assert emu.pipeline_versions("train") == 3
    versions = sm.list_pipeline_versions(PipelineName="train")["PipelineVersionSummaries"]
    assert [v["PipelineVersionId"] for v in versions] == [3, 2, 1]  # newest first
    old = sm.describe_pipeline(PipelineName="train", PipelineVersionId=1)
    assert old["PipelineDefinition"] == definition()
    assert "PipelineDescription" not in old


def test_a_missing_pipeline_is_resource_not_found(sm: Any) -> None:
    calls = [lambda: sm.describe_pipeline(PipelineName="nope"),
             lambda: sm.update_pipeline(PipelineName="nope", PipelineDescription="x"),
             lambda: sm.delete_pipeline(PipelineName="nope", ClientRequestToken="d" * 32),
             lambda: start(sm, "nope"),
             lambda: sm.list_pipeline_executions(PipelineName="nope"),
             lambda: run(sm, ARN + "nope/execution/abc")]
    for call in calls:
        with pytest.raises(sm.exceptions.ResourceNotFound) as exc:
            call()
        assert "does not exist" in exc.value.response["Error"]["Message"]


def test_create_is_idempotent_per_token_and_names_are_unique(sm: Any) -> None:
    arn = create(sm, "Fraud-Train", token="t" * 32, Tags=[{"Key": "team", "Value": "risk"}])
    assert arn == ARN + "fraud-train"  # ARNs carry names in lower case
    assert create(sm, "Fraud-Train", token="t" * 32) == arn  # a retry of the same call
    with pytest.raises(ClientError) as exc:
        create(sm, "Fraud-Train", token="u" * 32)
    assert error_code(exc.value) == "ValidationException"
    assert "already exists" in exc.value.response["Error"]["Message"]
    assert sm.describe_pipeline(PipelineName=arn)["PipelineName"] == "Fraud-Train"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "risk"}]
    sm.delete_pipeline(PipelineName="Fraud-Train", ClientRequestToken="d" * 32)
    assert sm.list_pipelines()["PipelineSummaries"] == []


def test_the_tagging_api_finds_pipelines_by_their_arn(emu: Emulator, sm: Any) -> None:
    arn = create(sm, "Nightly", Tags=[{"Key": "sagectl:owner", "Value": "x"}])
    tagging = emu.client("resourcegroupstaggingapi")
    found = tagging.get_resources(ResourceTypeFilters=["sagemaker:pipeline"])
    assert [r["ResourceARN"] for r in found["ResourceTagMappingList"]] == [arn]
    tagging.tag_resources(ResourceARNList=[arn], Tags={"team": "z"})
    assert {"Key": "team", "Value": "z"} in sm.list_tags(ResourceArn=arn)["Tags"]


# -- executions -------------------------------------------------------------------------------

def test_an_execution_runs_for_its_duration_on_the_clock(emu: Emulator, sm: Any) -> None:
    create(sm)
    arn = start(sm)
    assert arn.startswith(ARN + "train/execution/")
    desc = run(sm, arn)
    assert desc["PipelineExecutionStatus"] == "Executing"
    assert "FailureReason" not in desc
    emu.advance(emu.durations.pipeline_execution - 1)
    assert run(sm, arn)["PipelineExecutionStatus"] == "Executing"
    emu.advance(1)
    done = run(sm, arn)
    assert done["PipelineExecutionStatus"] == "Succeeded"
    assert (done["LastModifiedTime"] - done["CreationTime"]).total_seconds() == \
        pytest.approx(300, abs=0.01)
    assert sm.describe_pipeline(PipelineName="train")["LastRunTime"] == done["CreationTime"]
    emu.set_durations(pipeline_execution=20)
    quick = start(sm)
    emu.advance(20)
    assert run(sm, quick)["PipelineExecutionStatus"] == "Succeeded"


def test_an_injected_failure_fails_the_next_execution_only(emu: Emulator, sm: Any) -> None:
    create(sm)
    emu.fail_next_execution("train", "Step Train failed: OutOfMemory")
    failing = start(sm)
    assert run(sm, failing)["PipelineExecutionStatus"] == "Executing"
    emu.advance(emu.durations.pipeline_execution)
    desc = run(sm, failing)
    assert (desc["PipelineExecutionStatus"], desc["FailureReason"]) == (
        "Failed", "Step Train failed: OutOfMemory")
    (summary,) = sm.list_pipeline_executions(PipelineName="train")["PipelineExecutionSummaries"]
    assert summary["PipelineExecutionFailureReason"] == "Step Train failed: OutOfMemory"
    healthy = start(sm)
    emu.advance(emu.durations.pipeline_execution)
    assert run(sm, healthy)["PipelineExecutionStatus"] == "Succeeded"
    emu.fail_next_execution("TRAIN", after=5)  # names match case-insensitively, like ARNs
    early = start(sm)
    emu.advance(5)
    assert run(sm, early)["PipelineExecutionStatus"] == "Failed"
    assert "injected" in run(sm, early)["FailureReason"]


def test_stop_goes_stopping_then_stopped(emu: Emulator, sm: Any) -> None:
    create(sm)
    arn = start(sm)
    emu.advance(10)
    assert sm.stop_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="s" * 32)[
        "PipelineExecutionArn"] == arn
    assert run(sm, arn)["PipelineExecutionStatus"] == "Stopping"
    emu.advance(emu.durations.pipeline_stop)
    assert run(sm, arn)["PipelineExecutionStatus"] == "Stopped"
    emu.advance(emu.durations.pipeline_execution)  # a stopped run never succeeds
    assert run(sm, arn)["PipelineExecutionStatus"] == "Stopped"
    sm.stop_pipeline_execution(PipelineExecutionArn=arn, ClientRequestToken="s" * 32)
    finished = start(sm)
    emu.advance(emu.durations.pipeline_execution)
    with pytest.raises(ClientError) as exc:
        sm.stop_pipeline_execution(PipelineExecutionArn=finished, ClientRequestToken="t" * 32)
    assert error_code(exc.value) == "ValidationException"


def test_start_is_idempotent_per_client_request_token(emu: Emulator, sm: Any) -> None:
    create(sm)
    first = start(sm, token="r" * 32)
    emu.advance(5)
    assert start(sm, token="r" * 32) == first
    other = start(sm, token="q" * 32)
    assert other != first
    listed = sm.list_pipeline_executions(PipelineName="train")["PipelineExecutionSummaries"]
    assert [e["PipelineExecutionArn"] for e in listed] == [other, first]  # newest first


def test_executions_remember_their_parameters_and_definition(emu: Emulator, sm: Any) -> None:
    create(sm)
    params = [{"Name": "Threshold", "Value": "0.9"}, {"Name": "Region", "Value": "eu"}]
    arn = start(sm, PipelineParameters=params, PipelineExecutionDisplayName="nightly-1",
                PipelineExecutionDescription="manual run")
    desc = run(sm, arn)
    assert (desc["PipelineExecutionDisplayName"], desc["PipelineExecutionDescription"],
            desc["PipelineVersionId"]) == ("nightly-1", "manual run", 1)
    assert "PipelineParameters" not in desc  # AWS does not return them here
    assert sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)[
        "PipelineParameters"] == params
    sm.update_pipeline(PipelineName="train", PipelineDefinition=definition("Other"))
    ran = sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=arn)
    assert ran["PipelineDefinition"] == definition()  # the version it ran, not the latest


def test_executions_list_newest_first_with_pages(emu: Emulator, sm: Any) -> None:
    create(sm)
    arns = []
    for _ in range(3):
        arns.append(start(sm))
        emu.advance(60)
    listed = sm.list_pipeline_executions(PipelineName="train", MaxResults=2)
    assert [e["PipelineExecutionArn"] for e in listed["PipelineExecutionSummaries"]] == [
        arns[2], arns[1]]
    rest = sm.list_pipeline_executions(PipelineName="train", MaxResults=2,
                                       NextToken=listed["NextToken"])
    assert [e["PipelineExecutionArn"] for e in rest["PipelineExecutionSummaries"]] == [arns[0]]
    ascending = sm.list_pipeline_executions(PipelineName="train", SortOrder="Ascending")
    assert [e["PipelineExecutionArn"] for e in ascending["PipelineExecutionSummaries"]] == arns
    statuses = [e["PipelineExecutionStatus"] for e in ascending["PipelineExecutionSummaries"]]
    assert statuses == ["Executing"] * 3
    emu.advance(300)
    listed = sm.list_pipeline_executions(PipelineName="train")["PipelineExecutionSummaries"]
    assert [e["PipelineExecutionStatus"] for e in listed] == ["Succeeded"] * 3


def steps(sm: Any, arn: str, **extra: Any) -> list[tuple[str, str]]:
    listed = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn, **extra)
    return [(s["StepName"], s["StepStatus"]) for s in listed["PipelineExecutionSteps"]]


def test_execution_steps_follow_the_definition_and_the_clock(emu: Emulator, sm: Any) -> None:
    """The run's duration (300 s) is shared by its 3 steps; a step is listed once started."""
    create(sm, text=definition("Prepare", "Train", "Register"))
    arn = start(sm)
    assert steps(sm, arn) == [("Prepare", "Executing")]
    emu.advance(150)
    assert steps(sm, arn) == [("Train", "Executing"), ("Prepare", "Succeeded")]  # newest first
    emu.advance(150)
    assert steps(sm, arn, SortOrder="Ascending") == [
        ("Prepare", "Succeeded"), ("Train", "Succeeded"), ("Register", "Succeeded")]
    listed = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn, MaxResults=2)
    (register, train) = listed["PipelineExecutionSteps"]
    assert (train["EndTime"] - train["StartTime"]).total_seconds() == pytest.approx(100, abs=0.01)
    assert register["EndTime"] == run(sm, arn)["LastModifiedTime"]
    rest = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn, NextToken=listed["NextToken"])
    assert [s["StepName"] for s in rest["PipelineExecutionSteps"]] == ["Prepare"]


def test_execution_steps_of_failed_and_stopped_runs(emu: Emulator, sm: Any) -> None:
    create(sm, text=definition("Prepare", "Train"))
    emu.fail_next_execution("train", "Step Train failed: OutOfMemory")
    failed = start(sm)
    emu.advance(emu.durations.pipeline_execution)
    train = sm.list_pipeline_execution_steps(PipelineExecutionArn=failed)[
        "PipelineExecutionSteps"][0]
    assert (train["StepName"], train["StepStatus"], train["FailureReason"]) == (
        "Train", "Failed", "Step Train failed: OutOfMemory")
    assert steps(sm, failed)[1] == ("Prepare", "Succeeded")
    stopped = start(sm)
    emu.advance(200)
    sm.stop_pipeline_execution(PipelineExecutionArn=stopped, ClientRequestToken="s" * 32)
    assert steps(sm, stopped) == [("Train", "Stopping"), ("Prepare", "Succeeded")]
    emu.advance(emu.durations.pipeline_stop + emu.durations.pipeline_execution)
    assert steps(sm, stopped) == [("Train", "Stopped"), ("Prepare", "Succeeded")]
    with pytest.raises(ClientError) as exc:
        sm.list_pipeline_execution_steps(PipelineExecutionArn=stopped + "x")
    assert error_code(exc.value) == "ResourceNotFound"


# -- served -----------------------------------------------------------------------------------

def test_served_controls_fail_an_execution_and_count_versions(server: str) -> None:
    remote = RemoteEmulator(server)
    remote.reset()
    remote.freeze()
    sm = remote.client("sagemaker")
    create(sm)
    sm.update_pipeline(PipelineName="train", PipelineDescription="v2")
    assert remote.pipeline_versions("train") == 2
    remote.fail_next_execution("train", "served failure")
    arn = start(sm)
    remote.advance(300)
    desc = run(sm, arn)
    assert (desc["PipelineExecutionStatus"], desc["FailureReason"]) == ("Failed",
                                                                        "served failure")
    remote.reset()
    remote.unfreeze()
