"""Planning ``Pipeline`` resources.

UpdatePipeline mints a new pipeline version on every call (rule 15), so it is planned only when
the canonical definition (parsed JSON: key order and whitespace do not matter) or another field
really changed. Steps are compared by name, so the diff says which step changed and how.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._live import not_found, sagemaker_tag_steps, tag_list
from reconciler.kinds.pipeline.spec import PipelineSpec
from reconciler.plan.context import OwnedResource, PlanContext, target_tags, user_tags
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, digest
from reconciler.spec.auxiliary import load_for
from reconciler.spec.resolve import Resource


def pipeline_arn(ctx: PlanContext, name: str) -> str:
    return ctx.sagemaker_arn("pipeline", name)


def definition(ctx: PlanContext, resource: Resource) -> dict[str, Any] | None:
    spec: PipelineSpec = resource.spec  # type: ignore[assignment]
    if spec.pipeline_definition is not None:
        return spec.pipeline_definition
    assert spec.pipeline_definition_file is not None
    loaded = load_for(ctx.specs, resource, spec.pipeline_definition_file)
    return loaded.value if loaded is not None else None


def _fields(spec: PipelineSpec, defn: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"pipelineDefinition": defn, "roleArn": spec.role_arn}
    if spec.pipeline_display_name:
        out["pipelineDisplayName"] = spec.pipeline_display_name
    if spec.pipeline_description:
        out["pipelineDescription"] = spec.pipeline_description
    if spec.parallelism_configuration:
        steps = spec.parallelism_configuration.max_parallel_execution_steps
        out["parallelismConfiguration"] = {"maxParallelExecutionSteps": steps}
    return out


def _live_fields(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"pipelineDefinition": json.loads(d.get("PipelineDefinition") or "{}"),
                           "roleArn": d.get("RoleArn")}
    if d.get("PipelineDisplayName") and d.get("PipelineDisplayName") != d.get("PipelineName"):
        out["pipelineDisplayName"] = d["PipelineDisplayName"]
    if d.get("PipelineDescription"):
        out["pipelineDescription"] = d["PipelineDescription"]
    if d.get("ParallelismConfiguration"):
        out["parallelismConfiguration"] = {"maxParallelExecutionSteps": d[
            "ParallelismConfiguration"]["MaxParallelExecutionSteps"]}
    return out


def _request(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"PipelineName": name,
                              "PipelineDefinition": json.dumps(fields["pipelineDefinition"],
                                                               sort_keys=True,
                                                               separators=(",", ":")),
                              "RoleArn": fields["roleArn"]}
    if "pipelineDisplayName" in fields:
        params["PipelineDisplayName"] = fields["pipelineDisplayName"]
    if "pipelineDescription" in fields:
        params["PipelineDescription"] = fields["pipelineDescription"]
    if "parallelismConfiguration" in fields:
        params["ParallelismConfiguration"] = {"MaxParallelExecutionSteps": fields[
            "parallelismConfiguration"]["maxParallelExecutionSteps"]}
    return params


def _describe(ctx: PlanContext, name: str) -> dict[str, Any] | None:
    try:
        return ctx.aws.client("sagemaker").describe_pipeline(PipelineName=name)  # type: ignore[no-any-return]
    except ClientError as err:
        if not_found(err):
            return None
        raise


def _steps_summary(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    def names(defn: dict[str, Any] | None) -> dict[str, Any]:
        return {s.get("Name"): s for s in (defn or {}).get("Steps", []) if isinstance(s, dict)}

    old, new = names(before), names(after)
    lines = []
    added = [n for n in new if n not in old]
    removed = [n for n in old if n not in new]
    changed = [n for n in new if n in old and new[n] != old[n]]
    for what, items in (("adds step(s)", added), ("removes step(s)", removed),
                        ("changes step(s)", changed)):
        if items:
            lines.append(f"{what}: {', '.join(str(i) for i in items)}")
    return lines


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    result = KindPlan()
    described = ctx.aws.map(lambda r: _describe(ctx, r.name), desired)
    for resource, live in zip(desired, described, strict=True):
        spec: PipelineSpec = resource.spec  # type: ignore[assignment]
        defn = definition(ctx, resource)
        if defn is None:
            result.problems.append(Problem(resource.address, "the pipeline definition cannot be "
                                                             "read; run `sagectl validate`"))
            continue
        fields = _fields(spec, defn)
        arn = pipeline_arn(ctx, resource.name)
        wanted_tags = {**spec.tags, **ctx.ownership_tags(resource, digest(fields))}
        depends = sorted(f"ModelPackageGroup.{g}" for g in _groups(defn)
                         if ctx.specs.get("ModelPackageGroup", g) is not None)
        if live is None:
            params = {**_request(resource.name, fields), "Tags": tag_list(wanted_tags),
                      "ClientRequestToken": digest(fields)[:40]}
            result.changes.append(ResourceChange(
                resource.address, "Pipeline", resource.name, ["create"], "new",
                diff(None, fields), [Step("sagemaker:CreatePipeline", resource.name,
                                          params, digest(params))],
                {"summary": [f"creates pipeline {resource.name} with "
                             f"{len(defn.get('Steps', []))} top-level step(s)"]},
                fingerprint=digest(None), depends_on=depends,
                spec_path=ctx.spec_path(resource)))
            continue
        owner = ctx.ownership.owner_env(arn)
        if owner != (ctx.env or ""):
            result.problems.append(Problem(
                resource.address, f"pipeline {resource.name} exists and is " +
                ("not managed by sagectl" if owner is None else f"managed by environment "
                                                                f"{owner!r}"),
                "adopt it with `sagectl import`, or rename the spec" if owner is None else ""))
            continue
        have = _live_fields(live)
        entries = diff(have, fields)
        live_tags = (ctx.ownership.get(arn) or OwnedResource(arn, "", {})).tags
        tag_entries = diff(user_tags(live_tags), spec.tags, "tags")
        if not entries and not tag_entries:
            result.unchanged += 1
            continue
        steps = []
        summary = []
        if entries:
            params = _request(resource.name, fields)
            steps.append(Step("sagemaker:UpdatePipeline", resource.name, params, digest(params)))
            summary.append("updates the pipeline in place (UpdatePipeline: a new pipeline "
                           "version; running executions are not affected)")
            summary += _steps_summary(have["pipelineDefinition"], defn)
        ownership = ctx.ownership_tags(resource, digest(fields))
        steps += sagemaker_tag_steps(arn, live_tags, target_tags(live_tags, spec.tags, ownership,
                                                                 bool(entries)))
        result.changes.append(ResourceChange(
            resource.address, "Pipeline", resource.name, ["update"],
            "definition_changed" if entries else "tags_only", entries + tag_entries, steps,
            {"summary": summary or ["updates the pipeline's tags"]},
            fingerprint=digest({"live": have, "tags": live_tags}), depends_on=depends,
            spec_path=ctx.spec_path(resource)))
    return result


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


def plan_orphans(ctx: PlanContext, orphans: list[OwnedResource]) -> KindPlan:
    result = KindPlan()
    for pipeline in sorted(orphans, key=lambda r: r.name):
        address = pipeline.address or f"Pipeline.{pipeline.name}"
        if not ctx.prune:
            result.problems.append(Problem(address, f"pipeline {pipeline.name} is no longer in "
                                                    "the specs; pruning is off, so it is left "
                                                    "alone", severity="warning"))
            continue
        name = address.split(".", 1)[1]
        result.changes.append(ResourceChange(
            address, "Pipeline", name, ["delete"], "not_in_spec", [],
            [Step("sagemaker:DeletePipeline", name,
                  {"PipelineName": name, "ClientRequestToken": digest(["delete", name])[:40]})],
            {"summary": [f"deletes pipeline {name} (its execution history goes with it)"]},
            fingerprint=digest(pipeline.tags)))
    return result
