"""Planning ``Alarm`` resources: read in batches of 100 names, compare, PutMetricAlarm.

PutMetricAlarm replaces an alarm's whole configuration (its state is kept), so any difference is
one call. Tags given to PutMetricAlarm only apply when it creates the alarm; later tag changes go
through TagResource / UntagResource. Each step's undo comes from the alarm as read: a new alarm is
deleted again, an updated one is put back as it was (its whole definition), tags get their values
back.

Application Auto Scaling's own alarms (``managed.py``) are never read, adopted, changed or deleted
here: validation keeps specs out of their name space, and an orphan among them (an alarm of
theirs that carries sagectl's tags) is reported, not deleted.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws import batches
from reconciler.contract import Orphan
from reconciler.kinds._aws import boto_request, extra_live, extra_request
from reconciler.kinds._live import (
    canonical,
    confirm_owner,
    dump,
    from_boto,
    tag_list,
    tag_undo,
)
from reconciler.kinds.alarm.managed import RESERVED_MESSAGE, owned_by_autoscaling
from reconciler.kinds.alarm.reasons import AlarmReason
from reconciler.kinds.alarm.spec import AlarmSpec
from reconciler.plan.context import OwnedResource, PlanContext, user_tags
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, Undo, digest
from reconciler.plan.vocabulary import Action, Common
from reconciler.spec import botoshape
from reconciler.spec.resources import Resource

SAGECTL_ONLY = frozenset({"tags"})
CLOUDWATCH_TAGS = ("cloudwatch:TagResource", "cloudwatch:UntagResource")
DEFAULTS = {"treatMissingData": "missing"}


def alarm_arn(ctx: PlanContext, name: str) -> str:
    return ctx.arn("cloudwatch", f"alarm:{name}")


def _normal(view: dict[str, Any]) -> dict[str, Any]:
    out = {**DEFAULTS, **view}
    if not out.get("metrics"):
        out.pop("metrics", None)  # no metric math: AWS may say [] where the spec says nothing
    if out.get("datapointsToAlarm") == out.get("evaluationPeriods"):
        out.pop("datapointsToAlarm", None)  # the same thing, said or not
    return out


def desired_view(spec: AlarmSpec) -> dict[str, Any]:
    return _normal(dump(spec, SAGECTL_ONLY))


def live_view(described: dict[str, Any], spec: AlarmSpec | None = None) -> dict[str, Any]:
    """The alarm as read, in spec form; its ``awsExtra`` is what DescribeAlarms returned of
    PutMetricAlarm's unmodelled members, and a wanted member it does not return is taken as
    wanted (``extra_live``)."""
    data = {k: v for k, v in from_boto(AlarmSpec, described).items() if k != "awsExtra"}
    extra = extra_live(AlarmSpec, spec.aws_extra if spec else None, described)
    if extra:
        data["awsExtra"] = extra
    return _normal(canonical(AlarmSpec, data, SAGECTL_ONLY))


def request(resource: Resource) -> dict[str, Any]:
    spec: AlarmSpec = resource.spec  # type: ignore[assignment]
    return {"AlarmName": resource.name, **boto_request(spec, SAGECTL_ONLY),
            **extra_request(spec)}


_PUT_FIELDS = ("AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
               "InsufficientDataActions", "MetricName", "Namespace", "Statistic",
               "ExtendedStatistic", "Dimensions", "Period", "Unit", "EvaluationPeriods",
               "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
               "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId")


def restore_request(described: dict[str, Any]) -> dict[str, Any]:
    """A PutMetricAlarm request that puts a described alarm back as it was (with the members
    of PutMetricAlarm that sagectl does not model, as far as DescribeAlarms returns them)."""
    put = set(_PUT_FIELDS) | set(botoshape.members("cloudwatch", "PutMetricAlarmInput").values())
    put.discard("Tags")  # PutMetricAlarm's tags only apply on create; tags are undone apart
    return {k: described[k] for k in sorted(put, key=_order)
            if described.get(k) not in (None, [], "")}


def _order(member: str) -> int:
    return _PUT_FIELDS.index(member) if member in _PUT_FIELDS else len(_PUT_FIELDS)


def _guardrails(ctx: PlanContext) -> dict[str, list[str]]:
    """Alarm name -> endpoints that roll back on it."""
    out: dict[str, list[str]] = {}
    for r in ctx.specs.resources:
        cfg = getattr(r.spec, "deployment_config", None) if r.kind == "Endpoint" else None
        if cfg and cfg.auto_rollback_configuration:
            for a in cfg.auto_rollback_configuration.alarms:
                out.setdefault(a.alarm_name, []).append(r.name)
    return out


def _depends_on(ctx: PlanContext, spec: AlarmSpec, guardrail_of: list[str]) -> list[str]:
    """An alarm on an endpoint's metrics that is not its guardrail comes after the endpoint."""
    endpoints = {d.value for d in spec.dimensions if d.name == "EndpointName"}
    return sorted(f"Endpoint.{e}" for e in endpoints
                  if e not in guardrail_of and ctx.specs.get("Endpoint", e) is not None)


def prefetch(ctx: PlanContext, desired: list[Resource]) -> None:
    """DescribeAlarms by name, 100 names a call, started now."""
    cw = ctx.aws.client("cloudwatch")

    def read(batch: list[str]) -> list[dict[str, Any]]:
        return cw.describe_alarms(AlarmNames=batch)["MetricAlarms"]  # type: ignore[no-any-return]

    names = [r.name for r in desired if not owned_by_autoscaling(r.name)]
    ctx.prefetched["alarm"] = [ctx.aws.submit(read, batch) for batch in batches(names, 100)]


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    result = KindPlan()
    if "alarm" not in ctx.prefetched:
        prefetch(ctx, desired)
    described: dict[str, dict[str, Any]] = {}
    for page in ctx.prefetched.pop("alarm"):
        described.update({a["AlarmName"]: a for a in page.result()})
    guardrails = _guardrails(ctx)
    for resource in desired:
        if owned_by_autoscaling(resource.name):  # refused by validation already
            result.problems.append(Problem(resource.address, RESERVED_MESSAGE))
            continue
        spec: AlarmSpec = resource.spec  # type: ignore[assignment]
        arn = alarm_arn(ctx, resource.name)
        live = described.get(resource.name)
        wanted_tags = {**spec.tags, **ctx.ownership_tags(resource, digest(request(resource)))}
        depends = _depends_on(ctx, spec, guardrails.get(resource.name, []))
        roles = guardrails.get(resource.name)
        role = f"guardrail of {', '.join(roles)}" if roles else "alarm"
        if live is None:
            params = {**request(resource), "Tags": tag_list(wanted_tags)}
            result.changes.append(ResourceChange(
                resource.address, "Alarm", resource.name, [Action.CREATE], Common.NEW,
                diff(None, desired_view(spec)),
                [Step("cloudwatch:PutMetricAlarm", resource.name, params, digest(params)
                      ).undone_by(Undo("cloudwatch:DeleteAlarms", resource.name,
                                       {"AlarmNames": [resource.name]},
                                       "alarm created by this run"))],
                {"summary": [f"creates {role} {resource.name} (it starts INSUFFICIENT_DATA "
                             "until metrics arrive)"]},
                fingerprint=digest(None), depends_on=depends, spec_path=ctx.spec_path(resource)))
            continue
        owner = confirm_owner(ctx, arn, "cloudwatch:alarm", lambda arn=arn: ctx.aws.client(
            "cloudwatch").list_tags_for_resource(ResourceARN=arn).get("Tags", []))
        if owner is None:
            result.problems.append(Problem(
                resource.address, f"alarm {resource.name} exists and is not managed by sagectl",
                "reference it from endpoints with `external: true` instead of defining it, or "
                "adopt it with `sagectl import`"))
            continue
        if owner != (ctx.env or ""):
            result.problems.append(Problem(resource.address, f"alarm {resource.name} is managed "
                                                             f"by environment {owner!r}"))
            continue
        live_tags = (ctx.ownership.get(arn) or OwnedResource(arn, "", {})).tags
        entries = diff(live_view(live, spec), desired_view(spec))
        tag_entries = diff(user_tags(live_tags), spec.tags, "tags")
        if not entries and not tag_entries:
            result.unchanged += 1  # bookkeeping tags (commit, path) only move with a change
            continue
        steps = []
        if entries:
            params = request(resource)
            steps.append(Step("cloudwatch:PutMetricAlarm", resource.name, params, digest(params)
                              ).undone_by(Undo("cloudwatch:PutMetricAlarm", resource.name,
                                               restore_request(live),
                                               "alarm as it was before this run")))
        changed = {k: v for k, v in wanted_tags.items() if live_tags.get(k) != v}
        if changed:
            steps.append(Step("cloudwatch:TagResource", arn,
                              {"ResourceARN": arn, "Tags": tag_list(changed)}).undone_by(
                *tag_undo(CLOUDWATCH_TAGS, "ResourceARN", arn, live_tags, sorted(changed))))
        removed = sorted(k for k in user_tags(live_tags) if k not in spec.tags)
        if removed:
            steps.append(Step("cloudwatch:UntagResource", arn,
                              {"ResourceARN": arn, "TagKeys": removed}).undone_by(
                *tag_undo(CLOUDWATCH_TAGS, "ResourceARN", arn, live_tags, removed)))
        entries += tag_entries
        result.changes.append(ResourceChange(
            resource.address, "Alarm", resource.name, [Action.UPDATE],
            AlarmReason.CONFIG_CHANGED if any(s.op.endswith("PutMetricAlarm") for s in steps)
            else Common.TAGS_ONLY, entries, steps,
            {"summary": [f"updates {role} {resource.name} in place (its state is kept)"]},
            fingerprint=digest({"alarm": live_view(live, spec), "tags": live_tags}),
            depends_on=depends, spec_path=ctx.spec_path(resource)))
    return result


def keep_orphan(orphan: Orphan) -> Problem | None:
    """An alarm of Application Auto Scaling's is never deleted, even if it carries our tags."""
    name = orphan.owned[0].name
    if not owned_by_autoscaling(name):
        return None
    return Problem(orphan.address, f"alarm {name} carries sagectl's tags but belongs to "
                                   "Application Auto Scaling (a target-tracking policy's); it is "
                                   "left alone", "remove its sagectl:* tags", severity="warning")


def delete(orphan: Orphan) -> ResourceChange:
    alarm = orphan.owned[0]
    return ResourceChange(
        orphan.address, "Alarm", alarm.name, [Action.DELETE], Common.NOT_IN_SPEC, [],
        [Step("cloudwatch:DeleteAlarms", alarm.name, {"AlarmNames": [alarm.name]}
              ).not_undone("not reversible: CloudWatch keeps nothing of a deleted alarm "
                           "(its state and history go with it), and its spec left the specs")],
        {"summary": [f"deletes alarm {alarm.name}"]}, fingerprint=digest(alarm.tags))
