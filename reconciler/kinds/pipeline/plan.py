"""Planning ``Pipeline`` resources.

UpdatePipeline mints a new pipeline version on every call (rule 15), so it is planned only when
the canonical definition (parsed JSON: key order and whitespace do not matter) or another field
really changed. Steps are compared by name, so the diff and the summary say which step was added,
removed or changed, and which of its fields. The schedule (``trigger.py``) and the start of an
execution after a definition change are steps of the same change.

Undo, from what was read: UpdatePipeline is undone by UpdatePipeline with the definition (and
role, display name, description, parallelism) the pipeline had, which mints one more pipeline
version, the only way back SageMaker offers; CreatePipeline by DeletePipeline (apply keeps the new
pipeline when what fails is its first execution, so that execution can be inspected); tags get
their values back. An execution that started is not undone, nor is a deletion.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from reconciler.contract import Orphan
from reconciler.kinds._aws import (
    extra_from_boto,
    extra_live,
    extra_request,
    sagemaker_arn,
    to_pascal,
)
from reconciler.kinds._live import not_found, sagemaker_tag_steps, tag_list
from reconciler.kinds.pipeline import secrets, trigger
from reconciler.kinds.pipeline.reasons import PipelineReason
from reconciler.kinds.pipeline.spec import PipelineSpec
from reconciler.kinds.pipeline.validate import step_list
from reconciler.plan.context import OwnedResource, PlanContext, target_tags, user_tags
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, Undo, digest
from reconciler.plan.vocabulary import Action, Common
from reconciler.spec import botoshape
from reconciler.spec.auxiliary import build_for, load_for
from reconciler.spec.resources import Resource

S3_PREFIX = "sagectl/pipelines"
WAIT = "sagectl:wait-pipeline-execution"
"""The wait for the execution started after a definition change (``apply.py`` runs it)."""
STARTED = ("not undone: an execution that started runs on (stopping it would not undo what "
           "it did)")
Digest = Callable[[Any], str]


def pipeline_arn(ctx: PlanContext, name: str) -> str:
    return sagemaker_arn(ctx, "pipeline", name)


def definition(ctx: PlanContext, resource: Resource) -> dict[str, Any] | None:
    """The definition to deploy, from whichever source the spec names (None: it cannot be read
    or built; validation says why)."""
    spec: PipelineSpec = resource.spec  # type: ignore[assignment]
    if spec.pipeline_definition is not None:
        return spec.pipeline_definition
    if spec.pipeline_definition_file is not None:
        loaded = load_for(ctx.specs, resource, spec.pipeline_definition_file)
    else:
        assert spec.pipeline_definition_builder is not None
        loaded = build_for(ctx.specs, resource, spec.pipeline_definition_builder)
    return loaded.value if loaded is not None and isinstance(loaded.value, dict) else None


def _fields(spec: PipelineSpec, defn: dict[str, Any], name: str) -> dict[str, Any]:
    # SageMaker shows the pipeline's name as its display name when none is given
    out: dict[str, Any] = {"pipelineDefinition": defn, "roleArn": spec.role_arn,
                           "pipelineDisplayName": spec.pipeline_display_name or name}
    if spec.pipeline_description:
        out["pipelineDescription"] = spec.pipeline_description
    if spec.parallelism_configuration:
        steps = spec.parallelism_configuration.max_parallel_execution_steps
        out["parallelismConfiguration"] = {"maxParallelExecutionSteps": steps}
    if spec.aws_extra:
        out["awsExtra"] = spec.aws_extra
    return out


def _live_fields(d: dict[str, Any], wanted_extra: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    raw = d.get("PipelineDefinition") or "{}"
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = {"(not JSON)": raw[:200]}
    out: dict[str, Any] = {"pipelineDefinition": parsed, "roleArn": d.get("RoleArn"),
                           "pipelineDisplayName": d.get("PipelineDisplayName")
                           or d.get("PipelineName")}
    if d.get("PipelineDescription"):
        out["pipelineDescription"] = d["PipelineDescription"]
    if d.get("ParallelismConfiguration"):
        out["parallelismConfiguration"] = {"maxParallelExecutionSteps": d[
            "ParallelismConfiguration"]["MaxParallelExecutionSteps"]}
    extra = extra_live(PipelineSpec, wanted_extra, d)
    if extra:
        out["awsExtra"] = extra
    return out


def definition_text(defn: dict[str, Any]) -> str:
    """What is sent: canonical JSON, so the same definition is always the same bytes."""
    return json.dumps(defn, sort_keys=True, separators=(",", ":"))


def _definition_steps(ctx: PlanContext, spec: PipelineSpec, name: str, fields: dict[str, Any],
                      dg: Digest = digest) -> tuple[list[Step], dict[str, Any]]:
    """(the S3 upload when the definition goes through S3, the Create/UpdatePipeline request)."""
    text = definition_text(fields["pipelineDefinition"])
    params: dict[str, Any] = {"PipelineName": name, "RoleArn": fields["roleArn"]}
    steps: list[Step] = []
    bucket = spec.pipeline_definition_s3_bucket
    if bucket:
        key = f"{S3_PREFIX}/{name}/{dg(fields['pipelineDefinition'])[:16]}.json"
        put = {"Bucket": bucket, "Key": key, "Body": text, "ContentType": "application/json"}
        shown = {**put, "Body": f"(the definition: {len(text.encode()):,} bytes)"}
        steps.append(Step("s3:PutObject", f"s3://{bucket}/{key}", shown, dg(put),
                          request=put).not_undone(
            "not undone: the object is named by the definition's digest, so it is the same "
            "object whenever this definition is deployed; it is left in place"))
        params["PipelineDefinitionS3Location"] = {"Bucket": bucket, "ObjectKey": key}
    else:
        params["PipelineDefinition"] = text
    if "pipelineDisplayName" in fields:
        params["PipelineDisplayName"] = fields["pipelineDisplayName"]
    if "pipelineDescription" in fields:
        params["PipelineDescription"] = fields["pipelineDescription"]
    if "parallelismConfiguration" in fields:
        params["ParallelismConfiguration"] = {"MaxParallelExecutionSteps": fields[
            "parallelismConfiguration"]["maxParallelExecutionSteps"]}
    params.update(extra_request(spec))
    return steps, params


UPDATE_MEMBERS = frozenset(botoshape.members("sagemaker", "UpdatePipelineRequest").values())
"""What UpdatePipeline takes: an ``awsExtra`` member outside it is set at creation only."""

_PIPELINE_FIELDS = ("PipelineDisplayName", "PipelineDescription", "RoleArn",
                    "ParallelismConfiguration")


def _restore(name: str, live: dict[str, Any]) -> Undo:
    """UpdatePipeline back to the pipeline as read (its definition, role, display name,
    description, parallelism)."""
    request = {"PipelineName": name, "PipelineDefinition": live["PipelineDefinition"]}
    request.update({k: live[k] for k in _PIPELINE_FIELDS if live.get(k)})
    # the extras as read, where UpdatePipeline takes them
    for member in extra_from_boto(PipelineSpec, live):
        if to_pascal(member) in UPDATE_MEMBERS:
            request[to_pascal(member)] = live[to_pascal(member)]
    return Undo("sagemaker:UpdatePipeline", name, request,
                "restored the previous pipeline definition")


def _describe(ctx: PlanContext, name: str) -> dict[str, Any] | None:
    try:
        return ctx.aws.client("sagemaker").describe_pipeline(PipelineName=name)  # type: ignore[no-any-return]
    except ClientError as err:
        if not_found(err):
            return None
        raise


def step_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """Which steps were added, removed or changed (with the changed fields), by step name,
    nested Condition branches included."""
    def index(defn: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
        out = {}
        for step, _ in step_list((defn or {}).get("Steps"), ()):
            if isinstance(step.get("Name"), str):
                own = step
                if step.get("Type") == "Condition" and isinstance(step.get("Arguments"), dict):
                    # a Condition's branches are steps of their own: compare them by name
                    args = {k: v for k, v in step["Arguments"].items()
                            if k not in ("IfSteps", "ElseSteps")}
                    args.update({k: [s.get("Name") for s in step["Arguments"].get(k) or []
                                     if isinstance(s, dict)]
                                 for k in ("IfSteps", "ElseSteps") if k in step["Arguments"]})
                    own = {**step, "Arguments": args}
                out[step["Name"]] = own
        return out

    old, new = index(before), index(after)
    changed = {}
    for name in new:
        if name in old and old[name] != new[name]:
            changed[name] = [e.path for e in diff(old[name], new[name])]
    return {"added": [f"{n} ({new[n].get('Type')})" for n in new if n not in old],
            "removed": [n for n in old if n not in new], "changed": changed}


def _step_lines(changes: dict[str, Any]) -> list[str]:
    lines = []
    if changes["added"]:
        lines.append(f"adds step(s): {', '.join(changes['added'])}")
    if changes["removed"]:
        lines.append(f"removes step(s): {', '.join(changes['removed'])}")
    for name, paths in changes["changed"].items():
        shown = ", ".join(paths[:6]) + (f" and {len(paths) - 6} more" if len(paths) > 6 else "")
        lines.append(f"changes step {name}: {shown}")
    return lines


def _start_steps(spec: PipelineSpec, name: str, defn: dict[str, Any], creates: bool,
                 dg: Digest = digest) -> tuple[list[Step], list[str]]:
    """StartPipelineExecution after a definition change (and the wait for its result)."""
    start = spec.start_on_change
    if start is None:
        return [], []
    params = spec.run_parameters(start)
    token = dg(["start", name, defn, params])[:40]
    request: dict[str, Any] = {"PipelineName": name, "ClientRequestToken": token,
                               "PipelineExecutionDescription": "started by sagectl after a "
                                                               "definition change"}
    if params:
        request["PipelineParameters"] = trigger.parameter_list(params)
    steps = [Step("sagemaker:StartPipelineExecution", name, request, dg(request)
                  ).not_undone(STARTED)]
    shown = ", ".join(f"{k}={trigger.parameter_text(v)}" for k, v in
                      sorted(secrets.shown(params, secrets.names(spec)).items()))
    line = f"starts an execution (parameters: {shown or 'defaults'})"
    if start.wait_for_completion:
        wait = {"PipelineName": name, "ClientRequestToken": token,
                "TimeoutInSeconds": start.timeout_in_seconds}
        steps.append(Step(WAIT, name, wait, dg(wait)))
        line += (f" and waits up to {start.timeout_in_seconds} s for it to succeed; if it "
                 "does not, the apply fails and " + (
                     "the new pipeline is kept so its execution can be inspected" if creates
                     else "the previous definition is restored"))
    return steps, [line]


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    result = KindPlan()
    live_all = ctx.aws.map(lambda r: (_describe(ctx, r.name), trigger.read(ctx.aws, r.name)),
                           desired)
    for resource, (live, live_trigger) in zip(desired, live_all, strict=True):
        _plan_one(ctx, resource, live, live_trigger, result)
    return result


def _plan_one(ctx: PlanContext, resource: Resource, live: dict[str, Any] | None,
              live_trigger: dict[str, Any] | None, result: KindPlan) -> None:
    spec: PipelineSpec = resource.spec  # type: ignore[assignment]
    secret = secrets.names(spec)
    dg = ctx.digest_for(bool(secret))  # keyed: its digests cover sensitive values
    defn = definition(ctx, resource)
    if defn is None:
        result.problems.append(Problem(resource.address, "the pipeline definition cannot be "
                                                         "read or built; run `sagectl validate`"))
        return
    fields = _fields(spec, defn, resource.name)
    arn = pipeline_arn(ctx, resource.name)
    depends = sorted(f"ModelPackageGroup.{g}" for g in _groups(defn)
                     if ctx.specs.get("ModelPackageGroup", g) is not None)
    want_trigger = trigger.desired(spec)
    note = trigger.description(resource.address, ctx.env)
    if live_trigger is not None and not trigger.owned(live_trigger, resource.address):
        result.problems.append(Problem(
            resource.address, f"{trigger.trigger_name(resource.name)} exists "
                              f"({live_trigger['type']}) and is not managed by sagectl for "
                              f"{resource.address}", "delete or rename it, or drop `schedule`"))
        return
    have_trigger = trigger.canonical(live_trigger)
    if live is None:
        _plan_create(ctx, resource, spec, fields, want_trigger, live_trigger, note, depends,
                     result, dg)
        return
    owner = ctx.ownership.owner_env(arn)
    if owner != (ctx.env or ""):
        result.problems.append(Problem(
            resource.address, f"pipeline {resource.name} exists and is " +
            ("not managed by sagectl" if owner is None else f"managed by environment "
                                                            f"{owner!r}"),
            "adopt it with `sagectl import`, or rename the spec" if owner is None else ""))
        return
    have = _live_fields(live, spec.aws_extra)
    hidden = secrets.diff_paths(secret)
    entries = diff(have, fields, "", hidden)
    live_tags = (ctx.ownership.get(arn) or OwnedResource(arn, "", {})).tags
    tag_entries = diff(user_tags(live_tags), spec.tags, "tags")
    trigger_entries = diff(have_trigger, want_trigger, "schedule", hidden)
    if not entries and not tag_entries and not trigger_entries:
        result.unchanged += 1
        return
    steps: list[Step] = []
    summary: list[str] = []
    consequences: dict[str, Any] = {}
    fixed = sorted(e.path for e in entries if e.path.startswith("awsExtra.")
                   and to_pascal(e.path.split(".")[1].split("[")[0]) not in UPDATE_MEMBERS)
    if fixed:
        result.problems.append(Problem(
            resource.address, "UpdatePipeline does not take " + ", ".join(fixed) +
            ": it is set at creation only", "keep it as it is live, or recreate the pipeline"))
        return
    if entries:
        uploads, params = _definition_steps(ctx, spec, resource.name, fields, dg)
        params = {k: v for k, v in params.items() if k in UPDATE_MEMBERS}
        steps += [*uploads, Step("sagemaker:UpdatePipeline", resource.name, params,
                                 dg(params)).undone_by(_restore(resource.name, live))]
        summary.append("updates the pipeline in place (UpdatePipeline: a new pipeline "
                       "version; running executions are not affected)")
        changes = step_changes(have["pipelineDefinition"], defn)
        consequences["pipeline_steps"] = changes
        summary += _step_lines(changes)
    ownership = ctx.ownership_tags(resource, dg(fields))
    steps += sagemaker_tag_steps(arn, live_tags, target_tags(live_tags, spec.tags, ownership,
                                                             bool(entries)))
    steps += trigger.steps(resource.name, arn, want_trigger, live_trigger, note)
    summary += trigger.summary(want_trigger, have_trigger, secret)
    if entries:
        start, lines = _start_steps(spec, resource.name, defn, False, dg)
        steps += start
        summary += lines
        consequences["starts_execution"] = bool(start)
    reason = (PipelineReason.DEFINITION_CHANGED if entries else
              PipelineReason.SCHEDULE_CHANGED if trigger_entries else Common.TAGS_ONLY)
    result.changes.append(ResourceChange(
        resource.address, "Pipeline", resource.name, [Action.UPDATE], reason,
        entries + trigger_entries + tag_entries, secrets.seal(ctx, steps, secret),
        {"summary": summary or ["updates the pipeline's tags"], **consequences},
        fingerprint=dg({"live": have, "tags": live_tags, "schedule": have_trigger}),
        depends_on=depends, spec_path=ctx.spec_path(resource)))


def _plan_create(ctx: PlanContext, resource: Resource, spec: PipelineSpec,
                 fields: dict[str, Any], want_trigger: dict[str, Any] | None,
                 live_trigger: dict[str, Any] | None, note: str, depends: list[str],
                 result: KindPlan, dg: Digest) -> None:
    defn = fields["pipelineDefinition"]
    have_trigger = trigger.canonical(live_trigger)
    secret = secrets.names(spec)
    hidden = secrets.diff_paths(secret)
    wanted_tags = {**spec.tags, **ctx.ownership_tags(resource, dg(fields))}
    uploads, params = _definition_steps(ctx, spec, resource.name, fields, dg)
    params = {**params, "Tags": tag_list(wanted_tags),
              "ClientRequestToken": dg(fields)[:40]}
    arn = pipeline_arn(ctx, resource.name)
    start, lines = _start_steps(spec, resource.name, defn, True, dg)
    waits = any(s.op == WAIT for s in start)
    created = Undo("sagemaker:DeletePipeline", resource.name, {"PipelineName": resource.name},
                   "pipeline created by this run" + (
                       " (kept when its first execution fails, so it can be inspected)"
                       if waits else ""))
    steps = [*uploads, Step("sagemaker:CreatePipeline", resource.name, params, dg(params)
                            ).undone_by(created)]
    steps += trigger.steps(resource.name, arn, want_trigger, live_trigger, note)
    steps += start
    count = len(list(step_list(defn.get("Steps"), ())))
    summary = [f"creates pipeline {resource.name} with {count} step(s)",
               *trigger.summary(want_trigger, have_trigger, secret), *lines]
    result.changes.append(ResourceChange(
        resource.address, "Pipeline", resource.name, [Action.CREATE], Common.NEW,
        diff(None, fields, "", hidden) + diff(have_trigger, want_trigger, "schedule", hidden),
        secrets.seal(ctx, steps, secret), {"summary": summary, "starts_execution": bool(start)},
        fingerprint=dg({"schedule": have_trigger}), depends_on=depends,
        spec_path=ctx.spec_path(resource)))


def _groups(defn: dict[str, Any]) -> set[str]:
    """Model package groups a definition registers models in."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            group = value.get("ModelPackageGroupName")
            if isinstance(group, str):
                found.add(group)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(defn)
    return found


def delete(ctx: PlanContext, orphan: Orphan) -> ResourceChange:
    """Deletes its schedule (if sagectl made it for this pipeline), then the pipeline."""
    pipeline, address, name = orphan.owned[0], orphan.address, orphan.name
    live_trigger = trigger.read(ctx.aws, name)
    steps: list[Step] = []
    summary = [f"deletes pipeline {name} (its execution history goes with it)"]
    if live_trigger is not None and trigger.owned(live_trigger, address):
        # no spec says which of its parameters are sensitive any more: none is shown
        steps += secrets.hide_undo(trigger.delete_steps(trigger.trigger_name(name), live_trigger),
                                   frozenset(live_trigger["parameters"]))
        summary.append(f"deletes its schedule {trigger.trigger_name(name)}")
    steps.append(Step("sagemaker:DeletePipeline", name,
                      {"PipelineName": name,
                       "ClientRequestToken": digest(["delete", name])[:40]}).not_undone(
        "not reversible: SageMaker cannot restore a deleted pipeline (its versions and "
        "executions go with it), and its spec left the specs"))
    schedule = trigger.canonical(live_trigger)
    # its schedule's parameters may be sensitive (no spec says any more): keyed
    dg = ctx.digest_for(bool(schedule and schedule.get("parameters")))
    return ResourceChange(
        address, "Pipeline", name, [Action.DELETE], Common.NOT_IN_SPEC, [], steps,
        {"summary": summary}, fingerprint=dg({"tags": pipeline.tags, "schedule": schedule}))
