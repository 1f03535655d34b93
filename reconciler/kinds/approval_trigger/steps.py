"""The calls that bring an ``ApprovalTrigger``'s parts to the spec, each with its undo, planned
from what was read.

Two things the plan cannot know stay placeholders in the steps (and so in the saved plan):

- the token: a connection's ``ApiKeyValue`` shows ``token_shown(...)`` (the secret's ARN and
  version, never the value); apply reads that version (GetSecretValue) just before the call
  (``apply.py``);
- the ARN of a connection or API destination this change creates (their ARNs end in an id
  EventBridge chooses): ``CONNECTION_ARN`` / ``API_DESTINATION_ARN``, filled in by apply from
  the create's answer (or a Describe by name, on a re-run).

Undo: a create is deleted again; an update restores what was read (a connection its previous
description, headers and the token version it was authorized with, read again at apply time,
when that version still has a staging label); a rule and its target are put back. A deletion's
rule and target are put back when a later deletion fails, so the next plan still finds the
trigger (the rule carries its ownership tags); a deleted API destination or connection is not
re-created (they would get new ARNs, which the restored target would not name).
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.kinds._live import tag_list, tag_undo
from reconciler.kinds.approval_trigger import desired as d
from reconciler.plan.model import SENSITIVE, Step, Undo, digest

CONNECTION_ARN = "(the ARN CreateConnection returns)"
API_DESTINATION_ARN = "(the ARN CreateApiDestination returns)"
EVENTS_TAGS = ("events:TagResource", "events:UntagResource")
TOKEN_PREFIX = "Bearer "


def token_shown(secret_arn: str, version: str) -> str:
    """What a plan shows for the API key value: where apply reads it, never the value."""
    return f"{SENSITIVE} {TOKEN_PREFIX}<token of {secret_arn}, version {version}>"


def token_reference(value: str) -> tuple[str, str] | None:
    """(secret ARN, version) of a ``token_shown`` value (None: not one)."""
    head = f"{SENSITIVE} {TOKEN_PREFIX}<token of "
    if not (value.startswith(head) and value.endswith(">") and ", version " in value):
        return None
    arn, _, version = value[len(head):-1].rpartition(", version ")
    return arn, version


def connection_request(name: str, description: str, secret_arn: str, version: str,
                       headers: dict[str, str]) -> dict[str, Any]:
    return {"Name": name, "Description": description, "AuthorizationType": "API_KEY",
            "AuthParameters": {
                "ApiKeyAuthParameters": {"ApiKeyName": d.API_KEY_NAME,
                                         "ApiKeyValue": token_shown(secret_arn, version)},
                "InvocationHttpParameters": {"HeaderParameters": [
                    {"Key": k, "Value": v, "IsValueSecret": False}
                    for k, v in sorted(headers.items())]}}}


def create_connection(request: dict[str, Any]) -> Step:
    name = request["Name"]
    return Step("events:CreateConnection", name, request, digest(request)).undone_by(
        Undo("events:DeleteConnection", name, {"Name": name}, "connection created"))


def update_connection(request: dict[str, Any], live: dict[str, Any], secret_arn: str,
                      labelled: set[str], deauthorized: bool) -> Step:
    """UpdateConnection to ``request``; undone by the connection as read, with the token version
    it was authorized with (read again by apply), when that can be done."""
    name = request["Name"]
    step = Step("events:UpdateConnection", name, request, digest(request))
    recorded = d.parse_description(live.get("Description")) or {}
    version = recorded.get("version")
    if deauthorized:
        return step.not_undone("not undone: the connection was de-authorized; de-authorizing it "
                               "again would only stop deliveries")
    if not version or version not in labelled:
        return step.not_undone(
            "not undone: the token version the connection was authorized with "
            f"({version or 'not recorded'}) is no longer a labelled version of {secret_arn} "
            "(Secrets Manager may delete it), so the previous authorization cannot be restored")
    auth = live.get("AuthParameters") or {}
    headers = {h["Key"]: h.get("Value", "") for h in
               (auth.get("InvocationHttpParameters") or {}).get("HeaderParameters") or []}
    previous = connection_request(name, live.get("Description") or "", secret_arn, version,
                                  headers)
    return step.undone_by(Undo("events:UpdateConnection", name, previous,
                               f"connection authorized again with token version {version}"))


def api_destination_request(name: str, description: str, connection_arn: str, url: str,
                            rate: int | None) -> dict[str, Any]:
    request: dict[str, Any] = {"Name": name, "Description": description,
                               "ConnectionArn": connection_arn, "InvocationEndpoint": url,
                               "HttpMethod": "POST"}
    if rate is not None:
        request["InvocationRateLimitPerSecond"] = rate
    return request


def create_api_destination(request: dict[str, Any]) -> Step:
    name = request["Name"]
    return Step("events:CreateApiDestination", name, request, digest(request)).undone_by(
        Undo("events:DeleteApiDestination", name, {"Name": name}, "API destination created"))


_API_DESTINATION_FIELDS = ("Description", "ConnectionArn", "InvocationEndpoint", "HttpMethod",
                           "InvocationRateLimitPerSecond")


def update_api_destination(request: dict[str, Any], live: dict[str, Any]) -> Step:
    name = request["Name"]
    previous = {"Name": name, **{k: live[k] for k in _API_DESTINATION_FIELDS
                                 if live.get(k) is not None}}
    return Step("events:UpdateApiDestination", name, request, digest(request)).undone_by(
        Undo("events:UpdateApiDestination", name, previous, "API destination restored"))


_RULE_FIELDS = ("Name", "EventPattern", "State", "Description")


def rule_restore(live: dict[str, Any], tags: dict[str, str] | None = None) -> dict[str, Any]:
    """PutRule putting the rule back as read (with ``tags``: when it is re-created)."""
    request = {k: live[k] for k in _RULE_FIELDS if live.get(k)}
    if tags:
        request["Tags"] = tag_list(tags)
    return request


def put_rule(request: dict[str, Any], live: dict[str, Any] | None) -> Step:
    """PutRule (with Tags when it creates the rule: PutRule ignores them on an existing rule)."""
    name = request["Name"]
    step = Step("events:PutRule", name, request, digest(request))
    if live is None:
        return step.undone_by(Undo("events:DeleteRule", name, {"Name": name}, "rule created"))
    return step.undone_by(Undo("events:PutRule", name, rule_restore(live), "rule restored"))


def put_target(name: str, target: dict[str, Any], live: dict[str, Any] | None) -> Step:
    request = {"Rule": name, "Targets": [target]}
    step = Step("events:PutTargets", name, request, digest(request))
    if live is None:
        return step.undone_by(Undo("events:RemoveTargets", name,
                                   {"Rule": name, "Ids": [d.TARGET_ID]}, "rule target added"))
    return step.undone_by(Undo("events:PutTargets", name, {"Rule": name, "Targets": [live]},
                               "rule target restored"))


def tag_steps(arn: str, live: dict[str, str], wanted: dict[str, str]) -> list[Step]:
    """TagResource / UntagResource bringing the rule's ``live`` tags to ``wanted``."""
    steps = []
    changed = {k: v for k, v in wanted.items() if live.get(k) != v}
    removed = sorted(k for k in live if k not in wanted)
    if changed:
        request = {"ResourceARN": arn, "Tags": tag_list(changed)}
        steps.append(Step("events:TagResource", arn, request, digest(request)).undone_by(
            *tag_undo(EVENTS_TAGS, "ResourceARN", arn, live, sorted(changed))))
    if removed:
        request = {"ResourceARN": arn, "TagKeys": removed}
        steps.append(Step("events:UntagResource", arn, request, digest(request)).undone_by(
            *tag_undo(EVENTS_TAGS, "ResourceARN", arn, live, removed)))
    return steps


def delete_steps(name: str, rule: dict[str, Any] | None, target: dict[str, Any] | None,
                 rule_tags: dict[str, str], api_destination: bool, connection: bool
                 ) -> list[Step]:
    """The trigger's deletion in EventBridge's order: target, rule, API destination,
    connection (each only when it exists and is this trigger's)."""
    steps = []
    if target is not None:
        request = {"Rule": name, "Ids": [d.TARGET_ID]}
        steps.append(Step("events:RemoveTargets", name, request, digest(request)).undone_by(
            Undo("events:PutTargets", name, {"Rule": name, "Targets": [copy.deepcopy(target)]},
                 "rule target put back")))
    if rule is not None:
        steps.append(Step("events:DeleteRule", name, {"Name": name}, digest({"Name": name})
                          ).undone_by(Undo("events:PutRule", name,
                                           rule_restore(rule, rule_tags),
                                           "rule re-created, with its tags")))
    gone = ("not undone: a re-created {what} would get a new ARN, which the restored rule's "
            "target would not name; applying again finishes the deletion")
    if api_destination:
        steps.append(Step("events:DeleteApiDestination", name, {"Name": name},
                          digest({"Name": name})).not_undone(gone.format(what="API destination")))
    if connection:
        steps.append(Step("events:DeleteConnection", name, {"Name": name},
                          digest({"Name": name})).not_undone(gone.format(what="connection")))
    return steps
