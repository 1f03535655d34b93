"""Reading an ``ApprovalTrigger`` from AWS: its connection, API destination, rule and the rule's
targets (each by its name, ``sagectl-<name>``), and the token secret's versions (DescribeSecret:
which version is current, never the value), in the canonical form the plan compares.

Canonical forms keep what the spec owns: the connection's authorization type, API key name,
headers, whether it is authorized and the token version it was authorized with (from its
description, which sagectl writes); the API destination's endpoint, method, connection (by name)
and, when the spec sets it, its rate limit; the rule's event pattern (lists of values sorted: their
order means nothing to EventBridge) and state; sagectl's target of the rule (by its id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._live import not_found
from reconciler.kinds.approval_trigger import desired as d

DEAUTHORIZED = ("DEAUTHORIZED", "DEAUTHORIZING")
"""Connection states in which EventBridge sends nothing (the user guide: de-authorizing "removes
all authorization parameters")."""
CURRENT = "AWSCURRENT"


@dataclass
class Secret:
    """The token secret as DescribeSecret shows it (its value is never read here)."""

    current: str | None = None
    """The version labelled AWSCURRENT."""
    labelled: set[str] = field(default_factory=set)
    """Versions with a staging label: the others are deprecated, Secrets Manager may delete
    them (DescribeSecret's VersionIdsToStages)."""
    problem: str | None = None
    """Why the secret cannot be used (missing, refused, scheduled for deletion, no current
    version)."""


@dataclass
class Live:
    connection: dict[str, Any] | None = None
    api_destination: dict[str, Any] | None = None
    rule: dict[str, Any] | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    rule_tags: dict[str, str] | None = None
    """The rule's tags when the plan had to read them (a rule the ownership read did not list)."""
    secret: Secret = field(default_factory=Secret)

    @property
    def target(self) -> dict[str, Any] | None:
        return next((t for t in self.targets if t.get("Id") == d.TARGET_ID), None)

    @property
    def empty(self) -> bool:
        return self.connection is None and self.api_destination is None and self.rule is None


def _describe(call: Any, **params: Any) -> dict[str, Any] | None:
    try:
        found = call(**params)
    except ClientError as err:
        if not_found(err):
            return None
        raise
    found.pop("ResponseMetadata", None)
    return found  # type: ignore[no-any-return]


def read_parts(aws: Any, name: str) -> Live:
    """The connection, API destination, rule and targets named ``sagectl-<name>``."""
    events = aws.client("events")
    aws_name = d.aws_name(name)
    found = Live(connection=_describe(events.describe_connection, Name=aws_name),
                 api_destination=_describe(events.describe_api_destination, Name=aws_name),
                 rule=_describe(events.describe_rule, Name=aws_name))
    if found.rule is not None:
        found.targets = aws.paginate("events", "list_targets_by_rule", "Targets", Rule=aws_name)
    return found


def read_secret(aws: Any, arn: str) -> Secret:
    try:
        described = aws.client("secretsmanager").describe_secret(SecretId=arn)
    except ClientError as err:
        info = err.response.get("Error", {})
        if not_found(err):
            return Secret(problem=f"does not exist (DescribeSecret: {info.get('Code')})")
        return Secret(problem=f"cannot be described ({info.get('Code')}: {info.get('Message')})")
    stages = described.get("VersionIdsToStages") or {}
    current = next((v for v, labels in stages.items() if CURRENT in labels), None)
    if described.get("DeletedDate"):
        return Secret(problem="is scheduled for deletion (DescribeSecret: DeletedDate)")
    if current is None:
        return Secret(problem="has no version labelled AWSCURRENT")
    return Secret(current, set(stages))


def _sorted_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_lists(v) for v in value]
        if all(isinstance(i, str | int | float | bool) for i in items):
            return sorted(items, key=lambda i: (type(i).__name__, i))
        return items
    return value


def pattern(text: str | None) -> Any:
    """A rule's EventPattern, parsed (lists of values sorted); the text when it is not JSON."""
    if not text:
        return None
    try:
        return _sorted_lists(json.loads(text))
    except ValueError:
        return text


def name_in_arn(arn: str | None, resource: str) -> str | None:
    """``sagectl-x`` of ``arn:...:<resource>/sagectl-x/<uuid>`` (the ARN itself when it is not
    one of those)."""
    if not arn:
        return None
    tail = arn.split(":", 5)[-1]
    if tail.startswith(f"{resource}/") and tail.count("/") == 2:
        return tail.split("/")[1]
    return arn


def connection_view(connection: dict[str, Any] | None,
                    want: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The connection in canonical form. A header whose value DescribeConnection does not return
    is taken as ``want`` has it: sagectl cannot see it."""
    if connection is None:
        return None
    auth = connection.get("AuthParameters") or {}
    wanted_headers = (want or {}).get("headers") or {}
    headers = {}
    for header in (auth.get("InvocationHttpParameters") or {}).get("HeaderParameters") or []:
        key = header.get("Key")
        headers[key] = header["Value"] if "Value" in header else wanted_headers.get(key)
    recorded = d.parse_description(connection.get("Description"))
    return {"authorizationType": connection.get("AuthorizationType"),
            "apiKeyName": (auth.get("ApiKeyAuthParameters") or {}).get("ApiKeyName"),
            "headers": headers,
            "authorized": connection.get("ConnectionState") not in DEAUTHORIZED,
            "tokenVersion": (recorded or {}).get("version") or None}


def api_destination_view(found: dict[str, Any] | None,
                         want: dict[str, Any] | None = None) -> dict[str, Any] | None:
    if found is None:
        return None
    out = {"invocationEndpoint": found.get("InvocationEndpoint"),
           "httpMethod": found.get("HttpMethod"),
           "connection": name_in_arn(found.get("ConnectionArn"), "connection")}
    if want and "invocationRateLimitPerSecond" in want:  # the spec owns it only when it sets it
        out["invocationRateLimitPerSecond"] = found.get("InvocationRateLimitPerSecond")
    return out


def rule_view(rule: dict[str, Any] | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    return {"eventPattern": pattern(rule.get("EventPattern")), "state": rule.get("State"),
            "eventBusName": rule.get("EventBusName") or d.EVENT_BUS}


def target_view(target: dict[str, Any] | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {"apiDestination": name_in_arn(target.get("Arn"), "api-destination"),
            "roleArn": target.get("RoleArn"),
            "inputTransformer": target.get("InputTransformer")}


def view(found: Live, want: dict[str, Any]) -> dict[str, Any]:
    """Every part in canonical form (None: missing). The API destination names its connection,
    the target its API destination, by name when the ARN is the live one's, by the ARN as it is
    otherwise (a part re-created since has a new ARN: the one naming it must follow)."""
    api = api_destination_view(found.api_destination, want.get("apiDestination"))
    if api is not None and (found.api_destination or {}).get("ConnectionArn") != \
            (found.connection or {}).get("ConnectionArn"):
        api["connection"] = (found.api_destination or {}).get("ConnectionArn")
    target = target_view(found.target)
    if target is not None and (found.target or {}).get("Arn") != \
            (found.api_destination or {}).get("ApiDestinationArn"):
        target["apiDestination"] = (found.target or {}).get("Arn")
    return {"connection": connection_view(found.connection, want.get("connection")),
            "apiDestination": api, "rule": rule_view(found.rule), "target": target}
