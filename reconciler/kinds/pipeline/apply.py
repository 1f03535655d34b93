"""Applying ``Pipeline`` changes: the kind's part in the engine's step runner
(``reconciler/apply/steps.py``), which runs the AWS steps and their undo as planned (``plan.py``,
``trigger.py``): the wait for the execution started after a definition change.

- The wait finds the execution by the start's ClientRequestToken (StartPipelineExecution is
  idempotent on it), so it needs nothing from the step before it.
- A failed or timed-out execution fails the change: the undo log restores the previous
  definition of an updated pipeline; a new pipeline is kept (its DeletePipeline undo is dropped)
  so its failed execution can be inspected, and the change ends failed, not rolled back.
"""

from __future__ import annotations

from typing import Any

from reconciler.apply.clock import clock_text
from reconciler.apply.context import ApplyContext, StepFailed
from reconciler.apply.steps import StepHooks, UndoLog
from reconciler.kinds.pipeline.plan import WAIT
from reconciler.plan.model import ResourceChange, Step

DONE = {"Succeeded": True, "Failed": False, "Stopped": False}


class PipelineSteps(StepHooks):
    """The pipeline kind's own step: ``sagectl:wait-pipeline-execution``."""

    def local(self, step: Step) -> None:
        wait_for_execution(self.actx, self.change, step, self.log)


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
    if step.op != WAIT:
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
        left = deadline - actx.clock.now()
        actx.events.emit("progress", change.address,
                         phase=f"execution {status}, timeout in {clock_text(left)}",
                         seconds_left=int(left), elapsed=int(timeout - left),
                         message=f"pipeline execution {arn.rsplit('/', 1)[-1]} {status}: "
                                 f"{int(left)} s left of its {int(timeout)} s timeout")
        actx.clock.sleep(min(actx.options.poll_seconds, max(1.0, left)))
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
    created = [u for u in log.records if u.op == "sagemaker:DeletePipeline"]
    failed = StepFailed(message + ("; the new pipeline is kept so its execution can be inspected "
                                   "(its schedule is removed)" if created else ""))
    if created:
        log.records = [u for u in log.records if u not in created]
        failed.keeps_changes = True
    return failed
