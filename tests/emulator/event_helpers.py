"""Builders for the EventBridge tests: a local HTTP server that records what it receives, clients
of other accounts, and the approval trigger (connection, API destination, rule, target)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sagemaker_emulator import Emulator

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/eventbridge-invoke-api-destination"
TOKEN = "ghp_s3cr3tTokenValue"
DISPATCHES = "https://api.github.com/repos/acme/models/dispatches"
GITHUB_HEADERS = [{"Key": "Accept", "Value": "application/vnd.github+json",
                   "IsValueSecret": False},
                  {"Key": "X-GitHub-Api-Version", "Value": "2022-11-28", "IsValueSecret": False}]
TEMPLATE = ('{"event_type": "sagectl-model-approved", "client_payload": {'
            '"group": <group>, "version": <version>, "arn": <arn>, "status": <status>, '
            '"account": <account>, "region": <region>}}')
PATHS = {"group": "$.detail.ModelPackageGroupName", "version": "$.detail.ModelPackageVersion",
         "arn": "$.detail.ModelPackageArn", "status": "$.detail.ModelApprovalStatus",
         "account": "$.account", "region": "$.region"}


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeServer:
    """What a local HTTP server received; it answers ``status`` to every request."""

    url: str = ""
    status: int = 204
    requests: list[Received] = field(default_factory=list)


@contextmanager
def fake_server(status: int = 204) -> Iterator[FakeServer]:
    fake = FakeServer(status=status)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fake.requests.append(Received(self.command, self.path, dict(self.headers.items()),
                                          body))
            self.send_response(fake.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def client_in(emu: Emulator, service: str, account: str, region: str | None = None) -> Any:
    """A client of ``account`` (moto tells accounts apart by this header)."""
    client = emu.client(service, region)
    client.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", account))
    return client


def approval_pattern(*groups: str) -> str:
    return json.dumps({"source": ["aws.sagemaker"],
                       "detail-type": ["SageMaker Model Package State Change"],
                       "detail": {"ModelPackageGroupName": list(groups),
                                  "ModelApprovalStatus": ["Approved"]}})


def github_trigger(events: Any, *groups: str, rule: str = "approvals",
                   endpoint: str = DISPATCHES, role: str | None = ROLE) -> dict[str, str]:
    """The approval trigger sagectl declares: an API key connection (the token as the
    Authorization header), an API destination POSTing to GitHub's dispatches, a rule that
    matches approvals of ``groups``, its target with an input transformer."""
    connection = events.create_connection(
        Name="github", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "Authorization",
                                     "ApiKeyValue": f"Bearer {TOKEN}"},
            "InvocationHttpParameters": {"HeaderParameters": GITHUB_HEADERS}})["ConnectionArn"]
    destination = events.create_api_destination(
        Name="github-dispatches", ConnectionArn=connection, InvocationEndpoint=endpoint,
        HttpMethod="POST")["ApiDestinationArn"]
    rule_arn = events.put_rule(Name=rule, EventPattern=approval_pattern(*groups))["RuleArn"]
    target: dict[str, Any] = {"Id": "github", "Arn": destination,
                              "InputTransformer": {"InputPathsMap": PATHS,
                                                   "InputTemplate": TEMPLATE}}
    if role:
        target["RoleArn"] = role
    events.put_targets(Rule=rule, Targets=[target])
    return {"connection": connection, "destination": destination, "rule": rule_arn}


def register(sm: Any, group: str, status: str = "PendingManualApproval") -> str:
    """A new version of ``group`` (created if missing); its ARN."""
    with suppress(sm.exceptions.ClientError):
        sm.create_model_package_group(ModelPackageGroupName=group)
    return str(sm.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus=status,
        ModelPackageDescription="xgboost retrained on March data",
        InferenceSpecification={"Containers": [{
            "Image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/xgboost:1",
            "ModelDataUrl": f"s3://models-{ACCOUNT}/{group}/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        ModelMetrics={"ModelQuality": {"Statistics": {
            "ContentType": "application/json",
            "S3Uri": f"s3://models-{ACCOUNT}/{group}/evaluation.json"}}},
    )["ModelPackageArn"])
