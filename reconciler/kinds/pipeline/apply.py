"""Applying ``Pipeline`` changes: undo records for every step, and the wait for the execution
started after a definition change.

- UpdatePipeline is undone by UpdatePipeline with the definition (and role, display name,
  description, parallelism) read just before it ran; that mints one more pipeline version, which
  is the only way back SageMaker offers.
- CreatePipeline is undone by DeletePipeline, except when what failed is the first execution of
  the new pipeline: the pipeline is kept so its failed execution can be inspected.
- Schedules and rules are restored from what was read just before the step.
- The wait finds the execution by the start's ClientRequestToken (StartPipelineExecution is
  idempotent on it), so it needs nothing from the step before it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.context import ApplyContext, StepFailed
from reconciler.apply.steps import Undo, UndoLog
from reconciler.kinds._live import not_found
from reconciler.kinds.pipeline import trigger
from reconciler.plan.model import ResourceChange, Step

DONE = {"Succeeded": True, "Failed": False, "Stopped": False}
_PIPELINE_FIELDS = ("PipelineDisplayName", "PipelineDescription", "RoleArn",
                    "ParallelismConfiguration")


def _undo_pipeline(actx: ApplyContext, step: Step) -> Undo | None:
    name = step.target
    if step.op == "sagemaker:CreatePipeline":
        return Undo(Step("sagemaker:DeletePipeline", name, {"PipelineName": name}),
                    "pipeline created by this run")
    if step.op != "sagemaker:UpdatePipeline":
        return None
    live = actx.aws.client("sagemaker").describe_pipeline(PipelineName=name)
    request = {"PipelineName": name, "PipelineDefinition": live["PipelineDefinition"]}
    request.update({k: live[k] for k in _PIPELINE_FIELDS if live.get(k)})
    return Undo(Step("sagemaker:UpdatePipeline", name, request),
                "restored the previous pipeline definition")


def _undo_schedule(actx: ApplyContext, step: Step) -> Undo | None:
    name = step.target
    if step.op == "scheduler:CreateSchedule":
        return Undo(Step("scheduler:DeleteSchedule", name,
                         {"Name": name, "GroupName": trigger.GROUP}), "schedule created")
    try:
        live = actx.aws.client("scheduler").get_schedule(Name=name, GroupName=trigger.GROUP)
    except ClientError as err:
        if not_found(err):
            return None
        raise
    keep = ("Name", "GroupName", "ScheduleExpression", "ScheduleExpressionTimezone", "State",
            "FlexibleTimeWindow", "Description", "Target", "StartDate", "EndDate")
    request = {k: live[k] for k in keep if live.get(k) is not None}
    request["GroupName"] = trigger.GROUP
    op = "scheduler:UpdateSchedule" if step.op == "scheduler:UpdateSchedule" \
        else "scheduler:CreateSchedule"
    return Undo(Step(op, name, request), "schedule restored")


def _undo_rule(actx: ApplyContext, step: Step) -> Undo | None:
    name = step.target
    events = actx.aws.client("events")
    try:
        rule = events.describe_rule(Name=name)
    except ClientError as err:
        if not not_found(err):
            raise
        rule = None
    if step.op == "events:PutRule":
        if rule is None:
            return Undo(Step("events:DeleteRule", name, {"Name": name}), "rule created")
        request = {k: rule[k] for k in ("Name", "ScheduleExpression", "State", "Description")
                   if rule.get(k)}
        return Undo(Step("events:PutRule", name, request), "rule restored")
    if step.op == "events:DeleteRule" and rule is not None:
        request = {k: rule[k] for k in ("Name", "ScheduleExpression", "State", "Description")
                   if rule.get(k)}
        return Undo(Step("events:PutRule", name, request), "rule re-created")
    if step.op in ("events:PutTargets", "events:RemoveTargets"):
        targets = [] if rule is None else events.list_targets_by_rule(Rule=name).get(
            "Targets", [])
        mine = [t for t in targets if t.get("Id") == trigger.TARGET_ID]
        if mine:
            return Undo(Step("events:PutTargets", name, {"Rule": name, "Targets": mine}),
                        "rule target restored")
        if step.op == "events:PutTargets":
            return Undo(Step("events:RemoveTargets", name,
                             {"Rule": name, "Ids": [trigger.TARGET_ID]}), "rule target added")
    return None


def undo_step(actx: ApplyContext, step: Step) -> Undo | None:
    if step.op.startswith("sagemaker:"):
        return _undo_pipeline(actx, step)
    if step.op.startswith("scheduler:"):
        return _undo_schedule(actx, step)
    if step.op.startswith("events:"):
        return _undo_rule(actx, step)
    return None


def _execution(actx: ApplyContext, step: Step) -> dict[str, Any]:
    sm = actx.aws.client("sagemaker")
    arn = sm.start_pipeline_execution(PipelineName=step.params["PipelineName"],
                                      ClientRequestToken=step.params["ClientRequestToken"]
                                      )["PipelineExecutionArn"]
    return sm.describe_pipeline_execution(PipelineExecutionArn=arn)  # type: ignore[no-any-return]


def wait_for_execution(actx: ApplyContext, change: ResourceChange, step: Step,
                       log: UndoLog) -> None:
    """Wait for the execution started after the definition change; a failure raises
    ``StepFailed`` (the undo log then restores the previous definition)."""
    if step.op != "sagectl:wait-pipeline-execution":
        return
    timeout = float(step.params["TimeoutInSeconds"])
    deadline = actx.clock.now() + timeout
    execution = _execution(actx, step)
    arn = execution["PipelineExecutionArn"]
    actx.events.emit("wait", change.address, execution=arn,
                     message=f"waiting for pipeline execution {arn.rsplit('/', 1)[-1]} "
                             f"(up to {int(timeout)} s)")
    while True:
        status = execution.get("PipelineExecutionStatus", "?")
        if status in DONE:
            break
        if actx.clock.now() >= deadline:
            raise _failed(log, f"pipeline execution {arn} still {status} after {int(timeout)} "
                               "s (it keeps running)")
        actx.clock.sleep(min(actx.options.poll_seconds, max(1.0, deadline - actx.clock.now())))
        execution = actx.aws.client("sagemaker").describe_pipeline_execution(
            PipelineExecutionArn=arn)
    if not DONE[status]:
        reason = execution.get("FailureReason") or "no reason given"
        raise _failed(log, f"pipeline execution {arn} ended {status}: {reason}")
    actx.events.emit("verified", change.address, execution=arn,
                     message=f"pipeline execution {arn.rsplit('/', 1)[-1]} succeeded")


def _failed(log: UndoLog, message: str) -> StepFailed:
    """The run did not succeed. An updated pipeline gets its previous definition back (the undo
    log does that); a new one is kept, with its failed execution to look at, so the change ends
    failed rather than rolled back."""
    created = [u for u in log.records if u.step.op == "sagemaker:DeletePipeline"]
    failed = StepFailed(message + ("; the new pipeline is kept so its execution can be inspected "
                                   "(its schedule is removed)" if created else ""))
    if created:
        log.records = [u for u in log.records if u not in created]
        failed.keeps_changes = True
    return failed
