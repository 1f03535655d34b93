"""Planning ``ApprovalTrigger`` resources: read the four parts and the token secret's versions,
refuse what sagectl does not own, and plan, in EventBridge's order, the connection, the API
destination, the rule (with its tags) and its target.

Ownership: the rule carries sagectl's ownership tags (EventBridge tags rules and event buses
only); the connection and API destination, which take no tags, carry the ownership marker in
their descriptions (``desired.marker``). A part with the trigger's name and another description
is someone else's: a conflict, never changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.kinds._live import confirm_owner, tag_list
from reconciler.kinds.approval_trigger import desired as d
from reconciler.kinds.approval_trigger import live as lv
from reconciler.kinds.approval_trigger import steps as st
from reconciler.kinds.approval_trigger.reasons import ApprovalTriggerReason
from reconciler.kinds.approval_trigger.spec import GROUP_KIND, ApprovalTriggerSpec
from reconciler.plan.context import OwnedResource, target_tags, user_tags
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, digest
from reconciler.plan.vocabulary import Action, Common
from reconciler.spec.nodes import locate

if TYPE_CHECKING:
    from reconciler.contract import Orphan
    from reconciler.plan.context import PlanContext
    from reconciler.spec.resources import Resource

RESOURCE_TYPE = "events:rule"


def rule_arn(ctx: PlanContext, name: str) -> str:
    return ctx.arn("events", f"rule/{d.aws_name(name)}")


def groups(ctx: PlanContext, spec: ApprovalTriggerSpec) -> list[str]:
    return spec.groups(sorted(r.name for r in ctx.specs.resources if r.kind == GROUP_KIND))


def wanted(ctx: PlanContext, resource: Resource, version: str | None) -> dict[str, Any]:
    """Every part as the spec wants it, in canonical form."""
    spec: ApprovalTriggerSpec = resource.spec  # type: ignore[assignment]
    name = d.aws_name(resource.name)
    api: dict[str, Any] = {"invocationEndpoint": d.dispatch_url(spec.api_url, spec.repository),
                           "httpMethod": "POST", "connection": name}
    if spec.invocation_rate_limit_per_second is not None:
        api["invocationRateLimitPerSecond"] = spec.invocation_rate_limit_per_second
    return {"connection": {"authorizationType": "API_KEY", "apiKeyName": d.API_KEY_NAME,
                           "headers": dict(d.GITHUB_HEADERS), "authorized": True,
                           "tokenVersion": version},
            "apiDestination": api,
            "rule": {"eventPattern": lv.pattern(d.pattern_text(d.event_pattern(
                groups(ctx, spec)))), "state": spec.state, "eventBusName": d.EVENT_BUS},
            "target": {"apiDestination": name, "roleArn": spec.role_arn,
                       "inputTransformer": d.input_transformer(spec.event_type)}}


def content(ctx: PlanContext, resource: Resource) -> dict[str, Any]:
    """What the ownership tag's digest covers: the spec, with the groups it resolves to."""
    spec: ApprovalTriggerSpec = resource.spec  # type: ignore[assignment]
    return {**spec.model_dump(mode="json", by_alias=True), "modelPackageGroups":
            groups(ctx, spec)}


def read(ctx: PlanContext, resource: Resource) -> lv.Live:
    spec: ApprovalTriggerSpec = resource.spec  # type: ignore[assignment]
    found = lv.read_parts(ctx.aws, resource.name)
    found.secret = lv.read_secret(ctx.aws, spec.token_secret_arn)
    return found


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    result = KindPlan()
    for resource, found in zip(desired, ctx.aws.map(lambda r: read(ctx, r), desired),
                               strict=True):
        _plan_one(ctx, resource, found, result)
    return result


def _conflicts(ctx: PlanContext, resource: Resource, found: lv.Live) -> list[Problem]:
    """A part with the trigger's name that is not this trigger's, in this environment."""
    name = d.aws_name(resource.name)
    env = ctx.env or ""
    hint = "delete or rename it, or rename this ApprovalTrigger"
    problems = []
    for what, part in (("connection", found.connection),
                       ("API destination", found.api_destination)):
        if part is None:
            continue
        owner = d.parse_description(part.get("Description"))
        if owner is None:
            by = "not managed by sagectl"
        elif (owner["address"], owner["env"]) != (resource.address, env):
            by = f"managed by sagectl for {owner['address']} in environment {owner['env']!r}"
        else:
            continue
        problems.append(Problem(resource.address, f"EventBridge {what} {name} exists and is "
                                                  f"{by}", hint))
    if found.rule is not None:
        arn = found.rule.get("Arn") or rule_arn(ctx, resource.name)
        owner_env = confirm_owner(ctx, arn, RESOURCE_TYPE, lambda: _rule_tags(ctx, arn, found))
        owned = ctx.ownership.get(arn)
        address = owned.address if owned else None
        if owner_env is None:
            marked = d.parse_description(found.rule.get("Description"))
            by = "not managed by sagectl" + (
                f" for this trigger (its description names {marked['address']})"
                if marked else "")
        elif (address, owner_env) != (resource.address, env):
            by = f"managed by sagectl for {address} in environment {owner_env!r}"
        else:
            return problems
        problems.append(Problem(resource.address, f"EventBridge rule {name} exists and is {by}",
                                hint))
    return problems


def _rule_tags(ctx: PlanContext, arn: str, found: lv.Live) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = ctx.aws.client("events").list_tags_for_resource(
        ResourceARN=arn).get("Tags", [])
    found.rule_tags = {t["Key"]: t.get("Value", "") for t in tags}
    return tags


def _plan_one(ctx: PlanContext, resource: Resource, found: lv.Live, result: KindPlan) -> None:
    spec: ApprovalTriggerSpec = resource.spec  # type: ignore[assignment]
    secret = found.secret
    ownership = ctx.ownership_tags(resource, digest(content(ctx, resource)))
    if secret.problem:
        where = locate(resource.node, ("spec", "tokenSecretArn"))
        result.problems.append(Problem(
            resource.address, f"{where}: tokenSecretArn: the secret {spec.token_secret_arn} "
                              f"{secret.problem}",
            "create it (its value: the GitHub token) or correct the ARN; sagectl reads it "
            "with secretsmanager:DescribeSecret (plan) and GetSecretValue (apply)"))
        return
    conflicts = _conflicts(ctx, resource, found)
    if conflicts:
        result.problems += conflicts
        return
    assert secret.current is not None
    want = wanted(ctx, resource, secret.current)
    have = lv.view(found, want)
    arn = rule_arn(ctx, resource.name)
    live_tags = found.rule_tags if found.rule_tags is not None else (
        (ctx.ownership.get(arn) or OwnedResource(arn, "", {})).tags)
    ctx.observed.setdefault(d.KIND, {})[resource.address] = {
        "rule_missing": found.rule is None and not found.empty}
    entries = [e for part in ("connection", "apiDestination", "rule", "target")
               for e in diff(have[part], want[part], part)]
    tag_entries = diff(user_tags(live_tags), spec.tags, "tags")
    fingerprint = digest({"have": have, "tags": live_tags, "secret": secret.current})
    if found.empty:
        result.changes.append(_create(ctx, resource, want, ownership, fingerprint))
        return
    if not entries and not tag_entries:
        result.unchanged += 1
        return
    head, tail = _update_steps(ctx, resource, found, have, want, secret)
    tags = st.tag_steps(arn, live_tags, target_tags(live_tags, spec.tags, ownership,
                                                    bool(entries))) if found.rule else []
    reason = _reason(entries) if entries else Common.TAGS_ONLY
    result.changes.append(ResourceChange(
        resource.address, "ApprovalTrigger", resource.name, [Action.UPDATE], reason,
        entries + tag_entries, head + tags + tail,
        {"summary": _update_summary(resource, have, want, spec, tag_entries)},
        fingerprint=fingerprint, spec_path=ctx.spec_path(resource)))


def _reason(entries: list[Any]) -> ApprovalTriggerReason:
    paths = {e.path for e in entries}
    if paths == {"connection.tokenVersion"}:
        return ApprovalTriggerReason.TOKEN_ROTATED
    if "connection.authorized" in paths and all(p.startswith("connection.") for p in paths):
        # de-authorizing removes the authorization parameters: what else the connection shows
        # missing goes with it
        return ApprovalTriggerReason.CONNECTION_DEAUTHORIZED
    return ApprovalTriggerReason.TRIGGER_CHANGED


def _requests(ctx: PlanContext, resource: Resource, want: dict[str, Any],
              connection_arn: str, api_destination_arn: str) -> dict[str, Any]:
    spec: ApprovalTriggerSpec = resource.spec  # type: ignore[assignment]
    name = d.aws_name(resource.name)
    mark = d.marker(resource.address, ctx.env)
    api = want["apiDestination"]
    return {
        "connection": st.connection_request(
            name, d.connection_description(resource.address, ctx.env,
                                           want["connection"]["tokenVersion"]),
            spec.token_secret_arn, want["connection"]["tokenVersion"], d.GITHUB_HEADERS),
        "apiDestination": st.api_destination_request(
            name, mark, connection_arn, api["invocationEndpoint"],
            api.get("invocationRateLimitPerSecond")),
        "rule": {"Name": name, "EventPattern": d.pattern_text(want["rule"]["eventPattern"]),
                 "State": spec.state, "Description": mark},
        "target": {"Id": d.TARGET_ID, "Arn": api_destination_arn, "RoleArn": spec.role_arn,
                   "InputTransformer": want["target"]["inputTransformer"]}}


def _create(ctx: PlanContext, resource: Resource, want: dict[str, Any],
            ownership: dict[str, str], fingerprint: str
            ) -> ResourceChange:
    spec: ApprovalTriggerSpec = resource.spec  # type: ignore[assignment]
    name = d.aws_name(resource.name)
    requests = _requests(ctx, resource, want, st.CONNECTION_ARN, st.API_DESTINATION_ARN)
    rule = {**requests["rule"], "Tags": tag_list({**spec.tags, **ownership})}
    steps = [st.create_connection(requests["connection"]),
             st.create_api_destination(requests["apiDestination"]),
             st.put_rule(rule, None),
             st.put_target(name, requests["target"], None)]
    return ResourceChange(
        resource.address, "ApprovalTrigger", resource.name, [Action.CREATE], Common.NEW,
        diff(None, want, "") + diff(None, spec.tags, "tags"), steps,
        {"summary": _create_summary(resource, want, spec)}, fingerprint=fingerprint,
        spec_path=ctx.spec_path(resource))


def _update_steps(ctx: PlanContext, resource: Resource, found: lv.Live, have: dict[str, Any],
                  want: dict[str, Any], secret: lv.Secret) -> tuple[list[Step], list[Step]]:
    """(the connection, API destination and rule steps; the target's), for the parts that are
    missing or differ. The rule's tag steps go between them."""
    spec: ApprovalTriggerSpec = resource.spec  # type: ignore[assignment]
    name = d.aws_name(resource.name)
    connection_arn = (found.connection or {}).get("ConnectionArn") or st.CONNECTION_ARN
    api_arn = (found.api_destination or {}).get("ApiDestinationArn") or st.API_DESTINATION_ARN
    requests = _requests(ctx, resource, want, connection_arn, api_arn)
    head: list[Step] = []
    if found.connection is None:
        head.append(st.create_connection(requests["connection"]))
    elif have["connection"] != want["connection"]:
        head.append(st.update_connection(requests["connection"], found.connection,
                                         spec.token_secret_arn, secret.labelled,
                                         not have["connection"]["authorized"]))
    if found.api_destination is None:
        head.append(st.create_api_destination(requests["apiDestination"]))
    elif have["apiDestination"] != want["apiDestination"]:
        head.append(st.update_api_destination(requests["apiDestination"],
                                              found.api_destination))
    if found.rule is None:
        ownership = ctx.ownership_tags(resource, digest(content(ctx, resource)))
        head.append(st.put_rule({**requests["rule"],
                                 "Tags": tag_list({**spec.tags, **ownership})}, None))
    elif have["rule"] != want["rule"]:
        head.append(st.put_rule(requests["rule"], found.rule))
    tail = []
    if have["target"] != want["target"]:
        tail.append(st.put_target(name, requests["target"], found.target))
    return head, tail


def _create_summary(resource: Resource, want: dict[str, Any],
                    spec: ApprovalTriggerSpec) -> list[str]:
    name = d.aws_name(resource.name)
    version = want["connection"]["tokenVersion"]
    group_names = want["rule"]["eventPattern"]["detail"]["ModelPackageGroupName"]
    state = "" if spec.state == "ENABLED" else " (DISABLED: it sends nothing)"
    return [f"creates connection {name}: API key `Authorization: Bearer <token>` read at apply "
            f"time from {spec.token_secret_arn} (version {version}; the value is never shown)",
            f"creates API destination {name}: POST "
            f"{want['apiDestination']['invocationEndpoint']}",
            f"creates rule {name} on the default event bus{state}: approvals (ModelApprovalStatus "
            f"Approved) of {', '.join(group_names)}",
            f"sends repository_dispatch {spec.event_type!r} to {spec.repository} as "
            f"{spec.role_arn}"]


def _update_summary(resource: Resource, have: dict[str, Any], want: dict[str, Any],
                    spec: ApprovalTriggerSpec, tag_entries: list[Any]) -> list[str]:
    name = d.aws_name(resource.name)
    lines = []
    conn_have, conn_want = have["connection"], want["connection"]
    if conn_have is None:
        lines.append(f"creates connection {name} (token from {spec.token_secret_arn}, version "
                     f"{conn_want['tokenVersion']})")
    elif conn_have != conn_want:
        why = []
        if not conn_have["authorized"]:
            why.append("it was de-authorized")
        if conn_have["tokenVersion"] != conn_want["tokenVersion"]:
            why.append(f"the token secret's current version is {conn_want['tokenVersion']}, "
                       f"the connection was authorized with "
                       f"{conn_have['tokenVersion'] or 'an unrecorded version'}")
        if conn_have["authorized"] and {
                k: v for k, v in conn_have.items() if k not in ("authorized", "tokenVersion")} != \
                {k: v for k, v in conn_want.items() if k not in ("authorized", "tokenVersion")}:
            why.append("its authorization or headers differ")
        lines.append(f"updates connection {name} with the token of {spec.token_secret_arn} "
                     f"version {conn_want['tokenVersion']}, read at apply time (the value is "
                     f"never shown): {'; '.join(why)}")
    for part, what in (("apiDestination", "API destination"), ("rule", "rule"),
                       ("target", "the rule's target")):
        if have[part] is None:
            lines.append(f"creates {what} {name}" if part != "target" else
                         f"adds {what} (repository_dispatch to {spec.repository})")
        elif have[part] != want[part]:
            changed = ", ".join(e.path for e in diff(have[part], want[part], part))
            lines.append(f"updates {what} {name}: {changed}" if part != "target" else
                         f"puts back {what}: {changed}")
    if tag_entries:
        lines.append(f"updates the tags of rule {name}")
    return lines


def delete(ctx: PlanContext, orphan: Orphan) -> ResourceChange:
    """Deletes what this environment owns of the trigger, target first."""
    name = orphan.name
    found = lv.read_parts(ctx.aws, name)
    aws_name = d.aws_name(name)
    env = ctx.env or ""

    def mine(part: dict[str, Any] | None) -> bool:
        owner = d.parse_description((part or {}).get("Description"))
        return bool(owner and owner["address"] == orphan.address and owner["env"] == env)

    rule = found.rule
    steps = st.delete_steps(aws_name, rule, found.target if rule is not None else None,
                            orphan.owned[0].tags, mine(found.api_destination),
                            mine(found.connection))
    parts = [what for what, there in (("the rule's target", found.target is not None),
                                      (f"rule {aws_name}", rule is not None),
                                      (f"API destination {aws_name}", mine(found.api_destination)),
                                      (f"connection {aws_name}", mine(found.connection)))
             if there]
    return ResourceChange(
        orphan.address, "ApprovalTrigger", name, [Action.DELETE], Common.NOT_IN_SPEC, [], steps,
        {"summary": [f"deletes approval trigger {name}: {', '.join(parts) or 'nothing left'}; "
                     "approvals are no longer sent to GitHub (the schedule of promote.yml still "
                     "finds them)"]},
        fingerprint=digest({"tags": orphan.owned[0].tags, "have": lv.view(found, {
            "connection": None, "apiDestination": None})}))
