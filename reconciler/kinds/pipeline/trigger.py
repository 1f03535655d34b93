"""A pipeline's schedule: an EventBridge Scheduler schedule or an EventBridge rule, both named
``sagectl-<pipeline>``, whose target starts the pipeline with the schedule's parameters.

Neither can carry sagectl's ownership tags in one call (schedules take no tags at all), so the
description says who manages it; one with the right name and another description is someone
else's and is reported as a conflict, never changed.

Each step is undone from what was read: a schedule or rule this run creates is deleted again, one
it changes or deletes is put back as it was (``read`` keeps the requests that restore it).
"""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._live import not_found
from reconciler.kinds.pipeline.spec import PipelineSchedule, PipelineSpec
from reconciler.plan.model import SENSITIVE, Step, Undo, digest

SCHEDULER, RULE = "Scheduler", "EventBridgeRule"
GROUP = "default"
TARGET_ID = "sagectl-pipeline"
MARKER = "Managed by sagectl"
PREFIX = "sagectl-"
"""Of every schedule and rule name (the IAM policy allows these only: ``permissions.py``)."""


def trigger_name(pipeline: str) -> str:
    """Schedule and rule names allow 64 characters."""
    name = f"{PREFIX}{pipeline}"
    if len(name) <= 64:
        return name
    return f"{name[:55]}-{hashlib.sha256(pipeline.encode()).hexdigest()[:8]}"


def description(address: str, env: str | None) -> str:
    return f"{MARKER}: {address}" + (f" (environment {env})" if env else "")


def parameter_text(value: Any) -> str:
    """Pipeline parameter values travel as strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parameter_list(values: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": parameter_text(v)} for k, v in sorted(values.items())]


def desired(spec: PipelineSpec) -> dict[str, Any] | None:
    """The canonical schedule the spec asks for (None: no schedule)."""
    sched: PipelineSchedule | None = spec.schedule
    if sched is None:
        return None
    out: dict[str, Any] = {"type": sched.type, "scheduleExpression": sched.schedule_expression,
                           "state": sched.state, "roleArn": sched.role_arn,
                           "parameters": {k: parameter_text(v) for k, v in
                                          sorted(spec.run_parameters(sched).items())}}
    if sched.type == SCHEDULER:  # Scheduler's default zone, which GetSchedule returns
        out["scheduleExpressionTimezone"] = sched.schedule_expression_timezone or "UTC"
    return out


def _params(pairs: Any) -> dict[str, str]:
    listing = (pairs or {}).get("PipelineParameterList") or []
    return {p["Name"]: p["Value"] for p in listing if isinstance(p, dict)}


_SCHEDULE_FIELDS = ("Name", "GroupName", "ScheduleExpression", "ScheduleExpressionTimezone",
                    "State", "FlexibleTimeWindow", "Description", "Target", "StartDate",
                    "EndDate")
_RULE_FIELDS = ("Name", "ScheduleExpression", "State", "Description")


def read(aws: Any, pipeline: str) -> dict[str, Any] | None:
    """What exists under the trigger name, in canonical form plus ``description``, ``target``
    and ``restore`` (the requests that put it back as it is) (None: none). A schedule and a rule
    both existing is reported as the schedule (the rule shows next time)."""
    name = trigger_name(pipeline)
    try:
        s = aws.client("scheduler").get_schedule(Name=name, GroupName=GROUP)
    except ClientError as err:
        if not not_found(err):
            raise
    else:
        target = s.get("Target") or {}
        out = {"type": SCHEDULER, "scheduleExpression": s.get("ScheduleExpression"),
               "state": s.get("State", "ENABLED"), "roleArn": target.get("RoleArn"),
               "parameters": _params(target.get("SageMakerPipelineParameters")),
               "description": s.get("Description") or "", "target": target.get("Arn")}
        out["scheduleExpressionTimezone"] = s.get("ScheduleExpressionTimezone") or "UTC"
        schedule = {k: s[k] for k in _SCHEDULE_FIELDS if s.get(k) is not None}
        out["restore"] = {"schedule": {**schedule, "GroupName": GROUP}}
        return out
    events = aws.client("events")
    try:
        rule = events.describe_rule(Name=name)
    except ClientError as err:
        if not_found(err):
            return None
        raise
    targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
    target = next((t for t in targets if t.get("Id") == TARGET_ID), targets[0] if targets else {})
    return {"type": RULE, "scheduleExpression": rule.get("ScheduleExpression"),
            "state": rule.get("State", "ENABLED"), "roleArn": target.get("RoleArn"),
            "parameters": _params(target.get("SageMakerPipelineParameters")),
            "description": rule.get("Description") or "", "target": target.get("Arn"),
            "restore": {"rule": {k: rule[k] for k in _RULE_FIELDS if rule.get(k)},
                        "targets": [t for t in targets if t.get("Id") == TARGET_ID]}}


def canonical(live: dict[str, Any] | None) -> dict[str, Any] | None:
    if live is None:
        return None
    return {k: v for k, v in live.items() if k not in ("description", "target", "restore")}


def owned(live: dict[str, Any], address: str) -> bool:
    return str(live.get("description", "")).startswith(f"{MARKER}: {address}")


def _scheduler_request(name: str, want: dict[str, Any], pipeline_arn: str,
                       text: str) -> dict[str, Any]:
    request: dict[str, Any] = {
        "Name": name, "GroupName": GROUP, "ScheduleExpression": want["scheduleExpression"],
        "State": want["state"], "FlexibleTimeWindow": {"Mode": "OFF"}, "Description": text,
        "Target": {"Arn": pipeline_arn, "RoleArn": want["roleArn"],
                   "SageMakerPipelineParameters": {"PipelineParameterList": [
                       {"Name": k, "Value": v} for k, v in want["parameters"].items()]}}}
    if want.get("scheduleExpressionTimezone"):
        request["ScheduleExpressionTimezone"] = want["scheduleExpressionTimezone"]
    return request


def _rule_steps(name: str, want: dict[str, Any], pipeline_arn: str, text: str,
                live: dict[str, Any] | None) -> list[Step]:
    """PutRule and PutTargets; ``live``: the rule as read (None: there is none)."""
    rule = {"Name": name, "ScheduleExpression": want["scheduleExpression"],
            "State": want["state"], "Description": text}
    targets = {"Rule": name, "Targets": [{
        "Id": TARGET_ID, "Arn": pipeline_arn, "RoleArn": want["roleArn"],
        "SageMakerPipelineParameters": {"PipelineParameterList": [
            {"Name": k, "Value": v} for k, v in want["parameters"].items()]}}]}
    restore = (live or {}).get("restore") or {}
    put = Step("events:PutRule", name, rule, digest(rule))
    if live is None:
        put.undone_by(Undo("events:DeleteRule", name, {"Name": name}, "rule created"))
    else:
        put.undone_by(Undo("events:PutRule", name, restore["rule"], "rule restored"))
    return [put, Step("events:PutTargets", name, targets, digest(targets)).undone_by(
        _restore_targets(name, restore.get("targets")) or
        Undo("events:RemoveTargets", name, {"Rule": name, "Ids": [TARGET_ID]},
             "rule target added"))]


def _restore_targets(name: str, targets: list[dict[str, Any]] | None) -> Undo | None:
    """PutTargets putting back sagectl's target of the rule as read (None: it had none)."""
    if not targets:
        return None
    return Undo("events:PutTargets", name, {"Rule": name, "Targets": targets},
                "rule target restored")


def delete_steps(name: str, live: dict[str, Any]) -> list[Step]:
    """Delete the schedule or rule ``name`` (``live``: as ``read`` returned it), each step
    undone by putting back what was read."""
    if live["type"] == SCHEDULER:
        request = {"Name": name, "GroupName": GROUP}
        return [Step("scheduler:DeleteSchedule", name, request, digest(request)).undone_by(
            Undo("scheduler:CreateSchedule", name, live["restore"]["schedule"],
                 "schedule restored"))]
    remove_targets = {"Rule": name, "Ids": [TARGET_ID]}
    remove = Step("events:RemoveTargets", name, remove_targets, digest(remove_targets))
    targets = _restore_targets(name, live["restore"]["targets"])
    if targets is None:
        remove.not_undone("nothing to undo: the rule had no sagectl target when planned")
    else:
        remove.undone_by(targets)
    return [remove, Step("events:DeleteRule", name, {"Name": name}, digest({"Name": name})
                         ).undone_by(Undo("events:PutRule", name, live["restore"]["rule"],
                                          "rule re-created"))]


def steps(pipeline: str, pipeline_arn: str, want: dict[str, Any] | None,
          live: dict[str, Any] | None, text: str) -> list[Step]:
    """The calls that turn the trigger as read (``live``, from ``read``; None: absent) into
    ``want`` (canonical; None: no trigger)."""
    name = trigger_name(pipeline)
    have = canonical(live)
    if want == have:
        return []
    out: list[Step] = []
    if live is not None and (want is None or want["type"] != live["type"]):
        out += delete_steps(name, live)
        live = have = None
    if want is None:
        return out
    if want["type"] == SCHEDULER:
        request = _scheduler_request(name, want, pipeline_arn, text)
        if live is None:
            return [*out, Step("scheduler:CreateSchedule", name, request, digest(request)
                               ).undone_by(Undo("scheduler:DeleteSchedule", name,
                                                {"Name": name, "GroupName": GROUP},
                                                "schedule created"))]
        return [*out, Step("scheduler:UpdateSchedule", name, request, digest(request)).undone_by(
            Undo("scheduler:UpdateSchedule", name, live["restore"]["schedule"],
                 "schedule restored"))]
    return out + _rule_steps(name, want, pipeline_arn, text, live)


def summary(want: dict[str, Any] | None, have: dict[str, Any] | None,
            secret: frozenset[str] = frozenset()) -> list[str]:
    """``secret``: names of sensitive parameters, whose values are not shown."""
    if want == have:
        return []
    if want is None:
        return [f"deletes the schedule ({have['type'] if have else '?'})"]
    where = "EventBridge Scheduler" if want["type"] == SCHEDULER else "an EventBridge rule"
    zone = f" {want.get('scheduleExpressionTimezone', 'UTC')}"
    params = ", ".join(f"{k}={SENSITIVE if k in secret else v}"
                       for k, v in want["parameters"].items()) or "defaults"
    verb = "creates" if have is None or have["type"] != want["type"] else "updates"
    state = "" if want["state"] == "ENABLED" else " (disabled)"
    return [f"{verb} the schedule on {where}: {want['scheduleExpression']}{zone}{state}, "
            f"starting the pipeline with parameters {params}"]
