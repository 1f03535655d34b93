"""SageMaker's "Model Package State Change" event, matched by EventBridge rules and delivered to
API destinations (sagemaker_emulator/sagemaker/package_events.py, event_delivery.py,
event_http.py): what the rule matches, what the endpoint receives, what is recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.event_helpers import (
    ACCOUNT,
    OTHER_ACCOUNT,
    ROLE,
    TOKEN,
    approval_pattern,
    client_in,
    fake_server,
    github_trigger,
    register,
)
from tests.emulator.helpers import error_code

DETAIL_TYPE = "SageMaker Model Package State Change"


@pytest.fixture
def sm(emu: Emulator) -> Any:
    return emu.client("sagemaker")


@pytest.fixture
def events(emu: Emulator) -> Any:
    return emu.client("events")


def rule(events: Any, name: str, pattern: dict[str, Any], **extra: Any) -> str:
    return str(events.put_rule(Name=name, EventPattern=json.dumps(pattern), **extra)["RuleArn"])


def matched(record: dict[str, Any]) -> list[str]:
    return sorted(m["rule_name"] for m in record["matched"])


def test_each_state_change_is_one_event_matched_only_by_the_right_rule(
        emu: Emulator, sm: Any, events: Any) -> None:
    events.put_rule(Name="approvals", EventPattern=approval_pattern("fraud", "credit"))
    events.put_rule(Name="churn-approvals", EventPattern=approval_pattern("churn"))
    events.put_rule(Name="off", EventPattern=approval_pattern("fraud"), State="DISABLED")
    rule(events, "rejections", {"source": ["aws.sagemaker"], "detail-type": [DETAIL_TYPE],
                                "detail": {"ModelApprovalStatus": ["Rejected"]}})
    rule(events, "endpoints", {"source": ["aws.sagemaker"],
                               "detail-type": ["SageMaker Endpoint State Change"]})
    events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")
    emu.freeze()
    arn = register(sm, "fraud")
    (created,) = emu.emitted_events()
    assert created["event"]["detail"]["ModelApprovalStatus"] == "PendingManualApproval"
    assert matched(created) == []

    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    approved = emu.emitted_events()[1]
    assert matched(approved) == ["approvals"]
    event = approved["event"]
    assert (event["source"], event["detail-type"], event["account"], event["region"],
            event["resources"], event["version"]) == (
        "aws.sagemaker", DETAIL_TYPE, ACCOUNT, "us-east-1", [arn], "0")
    assert approved["time"] == emu.now()
    detail = event["detail"]
    assert {k: detail[k] for k in ("ModelPackageGroupName", "ModelPackageVersion",
                                   "ModelPackageArn", "ModelApprovalStatus",
                                   "ModelPackageStatus", "ModelPackageDescription")} == {
        "ModelPackageGroupName": "fraud", "ModelPackageVersion": 1, "ModelPackageArn": arn,
        "ModelApprovalStatus": "Approved", "ModelPackageStatus": "Completed",
        "ModelPackageDescription": "xgboost retrained on March data"}
    assert detail["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"].endswith(
        "/fraud/evaluation.json")
    assert detail["CreationTime"].endswith("Z") and detail["LastModifiedTime"].endswith("Z")
    assert detail["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].startswith("s3://")

    # no change of approval status, no event; what is not given is kept
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sm.update_model_package(ModelPackageArn=arn, ApprovalDescription="looks good",
                            CustomerMetadataProperties={"ticket": "ML-1"})
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"owner": "risk"})
    assert len(emu.emitted_events()) == 2
    package = sm.describe_model_package(ModelPackageName=arn)
    assert (package["ModelApprovalStatus"], package["ApprovalDescription"],
            package["CustomerMetadataProperties"]) == (
        "Approved", "looks good", {"ticket": "ML-1", "owner": "risk"})

    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    assert matched(emu.emitted_events()[2]) == ["rejections"]
    other = register(sm, "credit", status="Approved")  # created approved: one event, matched
    assert [matched(e) for e in emu.emitted_events()[3:]] == [["approvals"]]
    assert emu.emitted_events()[3]["event"]["resources"] == [other]


def test_events_stay_in_the_account_and_region_of_the_package(emu: Emulator) -> None:
    home = emu.client("events")
    home.put_rule(Name="approvals", EventPattern=approval_pattern("fraud"))
    emu.client("events", "us-west-2").put_rule(Name="west", EventPattern=approval_pattern("fraud"))
    client_in(emu, "events", OTHER_ACCOUNT).put_rule(Name="theirs",
                                                     EventPattern=approval_pattern("fraud"))
    register(emu.client("sagemaker"), "fraud", status="Approved")
    register(client_in(emu, "sagemaker", OTHER_ACCOUNT), "fraud", status="Approved")
    register(emu.client("sagemaker", "us-west-2"), "fraud", status="Approved")
    seen = [(e["account"], e["region"], matched(e)) for e in emu.emitted_events()]
    assert seen == [(ACCOUNT, "us-east-1", ["approvals"]),
                    (OTHER_ACCOUNT, "us-east-1", ["theirs"]),
                    (ACCOUNT, "us-west-2", ["west"])]


def test_the_endpoint_receives_the_transformed_event_with_the_api_key(
        emu: Emulator, sm: Any, events: Any) -> None:
    trigger = github_trigger(events, "fraud")
    emu.freeze()
    arn = register(sm, "fraud")
    with fake_server() as github:
        emu.route_host("api.github.com", github.url)
        sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    (request,) = github.requests
    assert (request.method, request.path) == ("POST", "/repos/acme/models/dispatches")
    assert request.json() == {"event_type": "sagectl-model-approved", "client_payload": {
        "group": "fraud", "version": 1, "arn": arn, "status": "Approved",
        "account": ACCOUNT, "region": "us-east-1"}}
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert {k: headers[k] for k in ("accept", "x-github-api-version", "user-agent",
                                    "content-type", "range", "accept-encoding", "host")} == {
        "accept": "application/vnd.github+json", "x-github-api-version": "2022-11-28",
        "user-agent": "Amazon/EventBridge/ApiDestinations",
        "content-type": "application/json; charset=utf-8", "range": "bytes=0-1048575",
        "accept-encoding": "gzip,deflate", "host": "api.github.com"}
    assert headers["content-length"] == str(len(request.body))

    (invocation,) = emu.api_destination_invocations()
    assert TOKEN not in json.dumps(invocation)
    assert invocation["headers"]["Authorization"] == "******"
    assert {k: invocation[k] for k in ("time", "rule", "target_id", "api_destination",
                                       "method", "url", "sent", "outcome", "status")} == {
        "time": emu.now(), "rule": trigger["rule"], "target_id": "github",
        "api_destination": trigger["destination"], "method": "POST",
        "url": "https://api.github.com/repos/acme/models/dispatches", "sent": True,
        "outcome": "succeeded", "status": 204}
    assert invocation["sent_to"] == f"{github.url}/repos/acme/models/dispatches"
    assert json.loads(invocation["body"]) == request.json()
    (event,) = [e for e in emu.emitted_events() if e["matched"]]
    assert event["matched"][0]["targets"] == [{
        "id": "github", "arn": trigger["destination"], "kind": "api-destination",
        "outcome": "succeeded", "status": 204, "error": None}]


def test_http_parameters_of_the_target_and_the_connection(emu: Emulator, sm: Any,
                                                          events: Any) -> None:
    connection = events.create_connection(
        Name="hook", AuthorizationType="BASIC", AuthParameters={
            "BasicAuthParameters": {"Username": "bot", "Password": "pa55"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "X-Who", "Value": "connection"}],
                "QueryStringParameters": [{"Key": "sig", "Value": "s3cret", "IsValueSecret": True},
                                          {"Key": "who", "Value": "connection"}]}})
    destination = events.create_api_destination(
        Name="hook", ConnectionArn=connection["ConnectionArn"], HttpMethod="PUT",
        InvocationEndpoint="https://hooks.example.com/models/*/versions/*")["ApiDestinationArn"]
    events.put_rule(Name="all", EventPattern=json.dumps({"source": ["aws.sagemaker"]}))
    events.put_targets(Rule="all", Targets=[{
        "Id": "hook", "Arn": destination, "RoleArn": ROLE, "InputPath": "$.detail.ModelPackageArn",
        "HttpParameters": {"PathParameterValues": ["fraud", "1"],
                           "HeaderParameters": {"X-Who": "target", "X-Target": "yes"},
                           "QueryStringParameters": {"who": "target", "page": "2"}}}])
    with fake_server(status=200) as hook:
        emu.route_host("hooks.example.com", hook.url)
        arn = register(sm, "fraud")
    (request,) = hook.requests
    assert request.method == "PUT"
    path, _, query = request.path.partition("?")
    assert path == "/models/fraud/versions/1"
    assert sorted(query.split("&")) == ["page=2", "sig=s3cret", "who=connection"]
    assert request.headers["X-Who"] == "connection" and request.headers["X-Target"] == "yes"
    assert request.headers["Authorization"] == "Basic Ym90OnBhNTU="  # bot:pa55
    assert json.loads(request.body) == arn
    (invocation,) = emu.api_destination_invocations()
    assert "s3cret" not in json.dumps(invocation) and "Ym90OnBhNTU=" not in json.dumps(invocation)
    assert "sig=%2A%2A%2A%2A%2A%2A" in invocation["url"]


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (429, True), (404, False),
                                                   (401, False)])
def test_a_non_2xx_answer_is_a_failed_delivery(emu: Emulator, sm: Any, events: Any,
                                               status: int, retryable: bool) -> None:
    github_trigger(events, "fraud")
    with fake_server(status=status) as github:
        emu.route_host("api.github.com", github.url)
        register(sm, "fraud", status="Approved")
    assert len(github.requests) == 1  # retries are not emulated
    (invocation,) = emu.api_destination_invocations()
    assert (invocation["outcome"], invocation["status"], invocation["error"],
            invocation["retryable"]) == ("failed", status, f"HTTP {status}", retryable)


def test_an_unreachable_endpoint_is_a_failed_delivery(emu: Emulator, sm: Any,
                                                      events: Any) -> None:
    github_trigger(events, "fraud")
    with fake_server() as github:
        closed = github.url  # nothing listens there once the server is gone
    emu.route_host("api.github.com", closed)
    arn = register(sm, "fraud", status="Approved")
    (invocation,) = emu.api_destination_invocations()
    assert (invocation["sent"], invocation["outcome"], invocation["status"]) == (
        True, "failed", None)
    assert invocation["error"]
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"


def test_an_unrouted_host_is_never_contacted(emu: Emulator, sm: Any, events: Any) -> None:
    github_trigger(events, "fraud")
    register(sm, "fraud", status="Approved")
    (invocation,) = emu.api_destination_invocations()
    assert (invocation["sent"], invocation["outcome"]) == (False, "failed")
    assert "api.github.com is neither loopback nor routed" in invocation["error"]


def test_a_deauthorized_connection_sends_nothing(emu: Emulator, sm: Any, events: Any) -> None:
    github_trigger(events, "fraud")
    events.deauthorize_connection(Name="github")
    with fake_server() as github:
        emu.route_host("api.github.com", github.url)
        register(sm, "fraud", status="Approved")
    assert github.requests == []
    (invocation,) = emu.api_destination_invocations()
    assert (invocation["sent"], invocation["outcome"], invocation["error"]) == (
        False, "failed", "connection github is DEAUTHORIZED")


def test_an_api_destination_target_needs_a_role(events: Any) -> None:
    with pytest.raises(ClientError) as exc:
        github_trigger(events, "fraud", role=None)
    assert error_code(exc.value) == "ValidationException"
    destination = events.describe_api_destination(Name="github-dispatches")["ApiDestinationArn"]
    assert exc.value.response["Error"]["Message"] == f"RoleArn is required for target {destination}."
    assert events.list_targets_by_rule(Rule="approvals")["Targets"] == []


@pytest.mark.parametrize("target", [
    {"Input": "{}", "InputPath": "$.detail"},
    {"InputTransformer": {"InputPathsMap": {"aws.name": "$.id"}, "InputTemplate": "<aws.name>"}},
])
def test_targets_refused_as_put_targets_refuses_them(events: Any, target: dict[str, Any]
                                                     ) -> None:
    events.put_rule(Name="r", EventPattern=approval_pattern("fraud"))
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:"
                                                            f"{ACCOUNT}:q", **target}])
    assert error_code(exc.value) == "ValidationException"


def test_a_matching_rule_starts_its_pipeline_target(emu: Emulator, sm: Any,
                                                    events: Any) -> None:
    pipeline = sm.create_pipeline(
        PipelineName="deploy", RoleArn=ROLE, PipelineDefinition=json.dumps({
            "Version": "2020-12-01", "Steps": [{"Name": "s", "Type": "Fail", "Arguments": {}}]})
    )["PipelineArn"]
    events.put_rule(Name="approvals", EventPattern=approval_pattern("fraud"))
    events.put_targets(Rule="approvals", Targets=[{
        "Id": "deploy", "Arn": pipeline, "RoleArn": ROLE, "SageMakerPipelineParameters": {
            "PipelineParameterList": [{"Name": "Stage", "Value": "prod"}]}}])
    register(sm, "fraud")
    assert sm.list_pipeline_executions(PipelineName="deploy")["PipelineExecutionSummaries"] == []
    register(sm, "fraud", status="Approved")
    (run,) = sm.list_pipeline_executions(PipelineName="deploy")["PipelineExecutionSummaries"]
    parameters = sm.list_pipeline_parameters_for_execution(
        PipelineExecutionArn=run["PipelineExecutionArn"])["PipelineParameters"]
    assert parameters == [{"Name": "Stage", "Value": "prod"}]
    (target,) = emu.emitted_events()[-1]["matched"][0]["targets"]
    assert (target["kind"], target["outcome"]) == ("pipeline", "started")


def test_the_logs_and_routes_over_http(server: str) -> None:
    from sagemaker_emulator.server import RemoteEmulator

    remote = RemoteEmulator(server)
    remote.reset()
    github_trigger(remote.client("events"), "fraud")
    with fake_server() as github:
        remote.route_host("api.github.com", github.url)
        register(remote.client("sagemaker"), "fraud", status="Approved")
    assert len(github.requests) == 1
    (invocation,) = remote.api_destination_invocations()
    assert (invocation["outcome"], invocation["headers"]["Authorization"]) == (
        "succeeded", "******")
    assert [len(e["matched"]) for e in remote.emitted_events()] == [1]
    remote.clear_event_log()
    assert remote.api_destination_invocations() == [] and remote.emitted_events() == []
    remote.reset()
