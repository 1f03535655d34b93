"""Pipeline executions on the simulated clock.

moto marks every execution Succeeded the moment it starts and has no StopPipelineExecution. Here
an execution is ``Executing`` for ``durations.pipeline_execution`` simulated seconds (default
300), then ``Succeeded`` — or ``Failed`` with a FailureReason when a failure was injected for its
pipeline (``Emulator.fail_next_execution``). StopPipelineExecution moves an executing run to
``Stopping`` for ``durations.pipeline_stop`` seconds, then ``Stopped``; stopping a run that is
already stopping or stopped is a no-op, stopping a finished one a ValidationException (the error
AWS returns there is not documented).

Like endpoints (``lifecycle.py``), nothing runs in the background: an execution's status is a
function of its timeline and the simulated time at which it is read. Before executions are read
(or started) the triggers start the runs that fell due (``pipelines.BEFORE_READ``).

Also served: the same ClientRequestToken returns the same execution (idempotent start);
ListPipelineExecutions newest first by default, paginated; ListPipelineParametersForExecution
returns the parameters the run was started with (as given: the definition's defaults are not
added); DescribePipelineDefinitionForExecution returns the definition of the version it ran;
ListPipelineExecutionSteps (moto lacks it: HTTP 500) lists steps derived from that definition
and the run's timeline (``execution_steps``).
"""

from __future__ import annotations

import json
import math
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.sagemaker.models import FakePipeline, SageMakerModelBackend

from sagemaker_emulator.dispatch import AwsError, CallContext, handler, validation
from sagemaker_emulator.faults import PipelineFault
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.sagemaker import pipelines
from sagemaker_emulator.sagemaker.pipelines import LOCK, PIPELINE_ARN, backend_of, state_of
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
SM = "sagemaker"
ID_CHARS = string.ascii_lowercase + string.digits


@dataclass
class Execution:
    arn: str
    pipeline: str
    """The pipeline's name."""
    pipeline_arn: str
    display_name: str
    description: str | None
    parameters: list[Params]
    parallelism: Params | None
    version_id: int
    start: float
    end: float
    """When it finishes unless stopped."""
    failure: str | None = None
    """Injected FailureReason: it ends Failed at ``end``."""
    stopping_at: float | None = None
    stopped_at: float | None = None

    def status_at(self, t: float) -> tuple[str, float]:
        """The status at simulated time ``t``, and since when."""
        if self.stopping_at is not None and self.stopped_at is not None:
            return ("Stopped", self.stopped_at) if t >= self.stopped_at else (
                "Stopping", self.stopping_at)
        if t >= self.end:
            return ("Failed" if self.failure is not None else "Succeeded"), self.end
        return "Executing", self.start


def when(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def start_execution(backend: SageMakerModelBackend, pipeline: FakePipeline, params: Params,
                    at: float | None = None) -> Execution:
    """Start ``pipeline`` at simulated time ``at`` (default: now). Also used by the triggers,
    which start the runs that fell due in the past at the moment they fell due."""
    st = state_of(pipeline)
    start = STATE.clock.now() if at is None else at
    version = st.latest
    if params.get("PipelineVersionId") is not None:
        found = st.version(params["PipelineVersionId"])
        if found is None:
            raise AwsError("ResourceNotFound", f"Pipeline version {params['PipelineVersionId']} "
                           f"of '{pipeline.arn}' does not exist.")
        version = found
    elif at is not None:  # a run that fell due in the past ran the version current then
        version = next((v for v in reversed(st.versions) if v.created.timestamp() <= start),
                       st.versions[0])
    fault: PipelineFault | None = STATE.faults.take_pipeline_fault(pipeline.pipeline_name)
    duration = STATE.durations.pipeline_execution
    if fault is not None and fault.after is not None:
        duration = fault.after
    run_id = "".join(secrets.choice(ID_CHARS) for _ in range(12))
    execution = Execution(
        arn=f"{pipeline.arn}/execution/{run_id}", pipeline=pipeline.pipeline_name,
        pipeline_arn=pipeline.arn,
        display_name=params.get("PipelineExecutionDisplayName") or
        f"execution-{math.floor(start * 1000)}",
        description=params.get("PipelineExecutionDescription"),
        parameters=[dict(p) for p in params.get("PipelineParameters") or []],
        parallelism=params.get("ParallelismConfiguration") or version.parallelism,
        version_id=version.version_id, start=start, end=start + duration,
        failure=fault.reason if fault is not None else None)
    st.executions[execution.arn] = execution
    if st.last_run is None or st.last_run.timestamp() < start:
        st.last_run = when(start)
    return execution


def find_execution(backend: SageMakerModelBackend, arn: Any) -> Execution:
    match = PIPELINE_ARN.match(arn) if isinstance(arn, str) else None
    pipeline = pipelines.find(backend, match["name"]) if match and match["rest"] else None
    runs = state_of(pipeline).executions if pipeline else {}
    execution = runs.get(arn) or runs.get(arn.lower())
    if execution is None:
        raise AwsError("ResourceNotFound", f"Pipeline execution '{arn}' does not exist.")
    return execution  # type: ignore[no-any-return]


@handler(SM, "StartPipelineExecution")
def start_pipeline_execution(ctx: CallContext, params: Params) -> Params:
    pipelines.notify_read(ctx.account, ctx.region)  # earlier scheduled runs start first
    backend = backend_of(ctx)
    with LOCK:
        pipeline = pipelines.get(backend, params.get("PipelineName"))
        st = state_of(pipeline)
        token = params.get("ClientRequestToken")
        if token and token in st.start_tokens:
            return {"PipelineExecutionArn": st.start_tokens[token]}
        for p in params.get("PipelineParameters") or []:
            if not isinstance(p, dict) or not isinstance(p.get("Name"), str) or "Value" not in p:
                raise validation("Each of PipelineParameters needs a Name and a Value.")
        execution = start_execution(backend, pipeline, params)
        if token:
            st.start_tokens[token] = execution.arn
    return {"PipelineExecutionArn": execution.arn}


@handler(SM, "DescribePipelineExecution")
def describe_pipeline_execution(ctx: CallContext, params: Params) -> Params:
    pipelines.notify_read(ctx.account, ctx.region)
    now = STATE.clock.now()
    with LOCK:
        e = find_execution(backend_of(ctx), params.get("PipelineExecutionArn"))
        status, since = e.status_at(now)
        out: Params = {"PipelineArn": e.pipeline_arn, "PipelineExecutionArn": e.arn,
                       "PipelineExecutionDisplayName": e.display_name,
                       "PipelineExecutionStatus": status, "CreationTime": when(e.start),
                       "LastModifiedTime": when(since), "CreatedBy": {}, "LastModifiedBy": {},
                       "PipelineVersionId": e.version_id}
        if e.description:
            out["PipelineExecutionDescription"] = e.description
        if status == "Failed":
            out["FailureReason"] = e.failure
        if e.parallelism:
            out["ParallelismConfiguration"] = e.parallelism
    return out


@handler(SM, "ListPipelineExecutions")
def list_pipeline_executions(ctx: CallContext, params: Params) -> Params:
    pipelines.notify_read(ctx.account, ctx.region)
    now = STATE.clock.now()
    with LOCK:
        pipeline = pipelines.get(backend_of(ctx), params.get("PipelineName"))
        runs = list(state_of(pipeline).executions.values())
        if params.get("CreatedAfter") is not None:
            runs = [e for e in runs if e.start > params["CreatedAfter"]]
        if params.get("CreatedBefore") is not None:
            runs = [e for e in runs if e.start < params["CreatedBefore"]]
        runs.sort(key=lambda e: e.start, reverse=params.get("SortOrder",
                                                              "Descending") == "Descending")
        chosen, token = page(runs, params)
        summaries = []
        for e in chosen:
            status, _ = e.status_at(now)
            summary: Params = {"PipelineExecutionArn": e.arn, "StartTime": when(e.start),
                               "PipelineExecutionStatus": status,
                               "PipelineExecutionDisplayName": e.display_name}
            if e.description:
                summary["PipelineExecutionDescription"] = e.description
            if status == "Failed":
                summary["PipelineExecutionFailureReason"] = e.failure
            summaries.append(summary)
    return with_token({"PipelineExecutionSummaries": summaries}, token)


@handler(SM, "StopPipelineExecution")
def stop_pipeline_execution(ctx: CallContext, params: Params) -> Params:
    pipelines.notify_read(ctx.account, ctx.region)
    now = STATE.clock.now()
    with LOCK:
        e = find_execution(backend_of(ctx), params.get("PipelineExecutionArn"))
        status, _ = e.status_at(now)
        if status in ("Stopping", "Stopped"):
            return {"PipelineExecutionArn": e.arn}
        if status != "Executing":
            raise validation(f"Pipeline execution '{e.arn}' is {status}: only an Executing "
                             "execution can be stopped.")
        e.stopping_at = now
        e.stopped_at = now + STATE.durations.pipeline_stop
    return {"PipelineExecutionArn": e.arn}


@handler(SM, "ListPipelineParametersForExecution")
def list_pipeline_parameters_for_execution(ctx: CallContext, params: Params) -> Params:
    with LOCK:
        e = find_execution(backend_of(ctx), params.get("PipelineExecutionArn"))
        chosen, token = page([dict(p) for p in e.parameters], params, default=50)
    return with_token({"PipelineParameters": chosen}, token)


@handler(SM, "DescribePipelineDefinitionForExecution")
def describe_pipeline_definition_for_execution(ctx: CallContext, params: Params) -> Params:
    backend = backend_of(ctx)
    with LOCK:
        e = find_execution(backend, params.get("PipelineExecutionArn"))
        pipeline = pipelines.get(backend, e.pipeline)
        version = state_of(pipeline).version(e.version_id) or state_of(pipeline).latest
    return {"PipelineDefinition": version.definition, "CreationTime": when(e.start)}


def execution_steps(e: Execution, definition: str, now: float) -> list[Params]:
    """The steps of ``e`` at simulated time ``now``, oldest first.

    The emulator runs no step, so this is an honest approximation, not a record: the steps of
    the definition the run used, in definition order (dependencies and Condition branches are
    not followed: every step runs), share the run's duration equally. A step is listed once it
    has started, as SageMaker lists them; it is Succeeded once its share is over, Executing
    during it. A failed run fails in its last step, at the run's end, with the run's
    FailureReason; a stopped run stops in the step running when it was stopped. No Metadata
    (there are no jobs behind the steps)."""
    try:
        doc = json.loads(definition)
    except json.JSONDecodeError:
        doc = None
    listed = doc.get("Steps") if isinstance(doc, dict) else None
    steps = [s for s in listed or [] if isinstance(s, dict) and isinstance(s.get("Name"), str)]
    status, _ = e.status_at(now)
    halt = e.stopping_at if e.stopping_at is not None else e.end
    share = (e.end - e.start) / max(len(steps), 1)
    out: list[Params] = []
    for i, step in enumerate(steps):
        begin = e.start + i * share
        finish = e.end if i == len(steps) - 1 else begin + share
        if begin > min(now, halt) or (begin == halt and e.stopping_at is not None):
            break
        item: Params = {"StepName": step["Name"], "StartTime": when(begin)}
        if isinstance(step.get("DisplayName"), str):
            item["StepDisplayName"] = step["DisplayName"]
        if isinstance(step.get("Description"), str):
            item["StepDescription"] = step["Description"]
        if finish <= min(now, halt) and not (status == "Failed" and i == len(steps) - 1):
            item.update(StepStatus="Succeeded", EndTime=when(finish))
        elif status == "Failed":
            item.update(StepStatus="Failed", EndTime=when(e.end), FailureReason=e.failure)
        elif status in ("Stopping", "Stopped"):
            item["StepStatus"] = status
            if status == "Stopped":
                item["EndTime"] = when(e.stopped_at or now)
        else:
            item["StepStatus"] = "Executing"
        out.append(item)
    return out


@handler(SM, "ListPipelineExecutionSteps")
def list_pipeline_execution_steps(ctx: CallContext, params: Params) -> Params:
    """Newest step first unless SortOrder is Ascending (the default is not documented; the
    other SageMaker list operations default to Descending)."""
    pipelines.notify_read(ctx.account, ctx.region)
    backend = backend_of(ctx)
    with LOCK:
        e = find_execution(backend, params.get("PipelineExecutionArn"))
        pipeline = pipelines.get(backend, e.pipeline)
        version = state_of(pipeline).version(e.version_id) or state_of(pipeline).latest
        steps = execution_steps(e, version.definition, STATE.clock.now())
    if params.get("SortOrder", "Descending") == "Descending":
        steps.reverse()
    chosen, token = page(steps, params)
    return with_token({"PipelineExecutionSteps": chosen}, token)
