"""What an ``ApprovalTrigger`` asks AWS for, derived from its spec alone (no AWS read): the
names, the ownership marker in descriptions, the rule's event pattern, the target's input
transformer, the connection's headers and the dispatch URL.

Everything here is pure, so ``spec.py`` checks the same values offline that ``plan.py`` sends.

The event (dg/automating-sagemaker-with-eventbridge, "Model package state change"): source
``aws.sagemaker``, detail-type ``SageMaker Model Package State Change``, and in ``detail``
``ModelPackageGroupName``, ``ModelPackageVersion`` (a number), ``ModelPackageArn`` and
``ModelApprovalStatus``; ``account`` and ``region`` at the top level. GitHub's repository dispatch
takes ``event_type`` (at most 100 characters) and ``client_payload`` (at most 10 top-level
properties): the template sends five.
"""

from __future__ import annotations

import json
import re
from typing import Any

PREFIX = "sagectl-"
NAME_MAX = 64
"""EventBridge rule, connection and API destination names: 1-64 of ``[.\\-_A-Za-z0-9]``."""
MARKER = "Managed by sagectl"
KIND = "ApprovalTrigger"
TARGET_ID = "sagectl-github-dispatch"
EVENT_BUS = "default"
SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"
APPROVED = "Approved"
EVENT_PATTERN_MAX = 4096
"""PutRule's EventPattern: at most 4,096 characters (botocore's model)."""
DEFAULT_EVENT_TYPE = "sagectl-model-approved"
DEFAULT_API_URL = "https://api.github.com"
API_KEY_NAME = "Authorization"
GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
"""What GitHub's REST reference asks every request to send (the version scripts/ci use too)."""
INVOCATION_ENDPOINT = re.compile(r"^((%[0-9A-Fa-f]{2}|[-()_.!~*';/?:@\x26=+$,A-Za-z0-9])+)"
                                 r"([).!';/?:,])?$")
"""CreateApiDestination's InvocationEndpoint pattern (botocore's model), at most 2,048."""
PAYLOAD = {"group": "$.detail.ModelPackageGroupName",
           "version": "$.detail.ModelPackageVersion",
           "modelPackageArn": "$.detail.ModelPackageArn",
           "account": "$.account",
           "region": "$.region"}
"""client_payload's properties and where in the event each comes from."""


def aws_name(name: str) -> str:
    """The rule, connection and API destination of ``ApprovalTrigger <name>``."""
    return f"{PREFIX}{name}"


def marker(address: str, env: str | None) -> str:
    """The start of every description sagectl writes on the trigger's parts."""
    return f"{MARKER}: {address}" + (f" (environment {env})" if env else "")


def connection_description(address: str, env: str | None, version: str) -> str:
    """The connection's description records the token's secret version it was authorized with:
    a later plan sees a rotation without reading the secret's value."""
    return f"{marker(address, env)}; token version {version}"


_DESCRIPTION = re.compile(rf"^{MARKER}: (?P<address>\S+)(?: \(environment (?P<env>[^)]*)\))?"
                          r"(?:; token version (?P<version>[A-Za-z0-9-]+))?$")


def parse_description(text: str | None) -> dict[str, str] | None:
    """(address, env, version) of a description sagectl wrote (None: not sagectl's)."""
    found = _DESCRIPTION.match(text or "")
    if found is None:
        return None
    return {"address": found["address"], "env": found["env"] or "",
            "version": found["version"] or ""}


def dispatch_url(api_url: str, repository: str) -> str:
    """GitHub's ``POST /repos/{owner}/{repo}/dispatches``."""
    return f"{api_url.rstrip('/')}/repos/{repository}/dispatches"


def event_pattern(groups: list[str]) -> dict[str, Any]:
    """Approvals of versions of ``groups``, and nothing else."""
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE],
            "detail": {"ModelPackageGroupName": sorted(groups),
                       "ModelApprovalStatus": [APPROVED]}}


def pattern_text(pattern: dict[str, Any]) -> str:
    return json.dumps(pattern, sort_keys=True, separators=(",", ":"))


def input_template(event_type: str) -> str:
    """The repository dispatch body. Variables outside quotes take the event's value as JSON (a
    string quoted, the version a number): the EventBridge user guide's "Simple JSON" example."""
    payload = ", ".join(f'"{key}": <{key}>' for key in PAYLOAD)
    return f'{{"event_type": {json.dumps(event_type)}, "client_payload": {{{payload}}}}}'


def input_transformer(event_type: str) -> dict[str, Any]:
    return {"InputPathsMap": dict(PAYLOAD), "InputTemplate": input_template(event_type)}
