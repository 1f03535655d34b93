"""Planning the four Model Monitor job definition kinds.

A job definition is immutable in SageMaker (there is no Update*JobDefinition), so sagectl names
each one by content, ``<metadata.name>-<hash8>`` (the hash covers the Create request without its
name and tags, and the environment), like models:
- a definition with the desired name that this environment owns *is* the desired one: nothing to
  do, or its tags only;
- a changed spec plans a new one; the schedule that uses the definition moves to it (the
  schedule kind, which also deletes the version it moved away from). Earlier versions of the
  same address that no live schedule uses are deleted here (``usage.py``).
Each desired definition publishes a ``DefinitionRef`` (``kinds/_monitoring.py``) for schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws import Aws
from reconciler.contract import Orphan
from reconciler.kinds._aws import boto_request, sagemaker_arn
from reconciler.kinds._live import (
    canonical,
    confirm_owner,
    dump,
    from_boto,
    not_found,
    sagemaker_tag_steps,
    tag_list,
)
from reconciler.kinds._monitoring import (
    CLOSED_TO_NEW_CUSTOMERS,
    MONITORING_TYPES,
    DefinitionRef,
    arn_type,
    definition_key,
)
from reconciler.kinds.monitoring_job.reasons import JobDefinitionReason
from reconciler.kinds.monitoring_job.spec import SPECS, JobDefinitionSpec
from reconciler.kinds.monitoring_job.usage import users
from reconciler.plan.context import (
    ADDRESS_TAG,
    DIGEST_TAG,
    OwnedResource,
    PlanContext,
    user_tags,
)
from reconciler.plan.diff import diff
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, Undo, digest
from reconciler.plan.vocabulary import Action, Common, Reason
from reconciler.spec.resources import Resource

SM_ONLY = frozenset({"tags"})
"""Spec fields that are not part of the content (the Create request without name and tags)."""
AWS_NAME_ANNOTATION = "sagectl.io/aws-name"
"""``metadata.annotations`` key of a definition spec: the AWS name of the adopted live one."""


@dataclass(frozen=True)
class Api:
    """How one monitoring type is called in SageMaker."""

    monitoring_type: str
    """``DataQuality`` ..."""

    @property
    def kind(self) -> str:
        return MONITORING_TYPES[self.monitoring_type]

    @property
    def arn_type(self) -> str:
        """``data-quality-job-definition`` (the ARN's and the tagging API's resource type)."""
        return arn_type(self.monitoring_type)

    @property
    def resource_type(self) -> str:
        return f"sagemaker:{self.arn_type}"

    @property
    def noun(self) -> str:
        return self.arn_type.replace("-", " ")

    def op(self, verb: str) -> str:
        """``sagemaker:CreateDataQualityJobDefinition``."""
        return f"sagemaker:{verb}{self.kind}"

    def method(self, verb: str) -> str:
        """``create_data_quality_job_definition``."""
        return f"{verb.lower()}_{self.arn_type.replace('-', '_')}"


def content_request(spec: JobDefinitionSpec) -> dict[str, Any]:
    """The Create request without ``JobDefinitionName`` and ``Tags``. An endpoint input names
    the endpoint by its spec name, which is its AWS name (endpoints are not content-named)."""
    return boto_request(spec, SM_ONLY)


def content_name(name: str, env: str | None, request: dict[str, Any]) -> str:
    return f"{name}-{digest({'env': env, 'request': request})[:8]}"


def annotated_name(resource: Resource) -> str | None:
    metadata = getattr(resource.document, "metadata", None)
    annotations: dict[str, str] = getattr(metadata, "annotations", None) or {}
    return annotations.get(AWS_NAME_ANNOTATION) or None


def adopted_name(ctx: PlanContext, api: Api, resource: Resource, request: dict[str, Any]
                 ) -> str | None:
    """The live name ``sagectl import`` annotated, while that definition is this environment's
    for this address and carries the digest of the request the spec asks for now (adoption
    compared the content before tagging it, as a content name would). Otherwise None: the
    content name (an annotated definition sagectl does not own is a conflict there, as any
    unowned definition with the spec's name, ``plan_one``)."""
    name = annotated_name(resource)
    if name is None:
        return None
    owned = ctx.ownership.get(sagemaker_arn(ctx, api.arn_type, name))
    if owned is None or (owned.env or "") != (ctx.env or "") \
            or owned.tags.get(ADDRESS_TAG) != resource.address \
            or owned.tags.get(DIGEST_TAG) != digest(request)[:32]:
        return None
    return name


def describe(aws: Aws, api: Api, name: str) -> dict[str, Any] | None:
    try:
        return getattr(aws.client("sagemaker"),  # type: ignore[no-any-return]
                       api.method("describe"))(JobDefinitionName=name)
    except ClientError as err:
        if not_found(err):
            return None
        raise


def _previous(ctx: PlanContext, api: Api, address: str, aws_name: str) -> list[OwnedResource]:
    """This environment's other versions of ``address``."""
    return sorted((r for r in ctx.ownership.mine(api.resource_type)
                   if r.tags.get(ADDRESS_TAG) == address and r.name != aws_name.lower()),
                  key=lambda r: r.name)


def _gc_steps(ctx: PlanContext, api: Api, old: list[OwnedResource]
              ) -> tuple[list[Step], list[str]]:
    """Deletion steps of the versions no live schedule uses, and lines for those kept."""
    steps, kept = [], []
    for r in old:
        using = users(ctx, api.monitoring_type, r.name, keep_deleted=True)
        if using:
            kept.append(f"{r.name} stays: monitoring schedule(s) {', '.join(using)} use it (a "
                        "schedule moving to the new version deletes it)")
        else:
            steps.append(delete_step(api, r.name, "an earlier version no schedule uses"))
    return steps, kept


def delete_step(api: Api, name: str, note: str) -> Step:
    return Step(api.op("Delete"), name, {"JobDefinitionName": name}, note=note).not_undone(
        "not reversible: SageMaker cannot restore a deleted job definition (sagectl would "
        "create a new one from the spec)")


def plan_one(ctx: PlanContext, api: Api, resource: Resource
             ) -> tuple[ResourceChange | None, list[Problem]]:
    spec: JobDefinitionSpec = resource.spec  # type: ignore[assignment]
    request = content_request(spec)
    adopted = adopted_name(ctx, api, resource, request)
    annotated = annotated_name(resource)
    if annotated and adopted is None and ctx.ownership.get(
            sagemaker_arn(ctx, api.arn_type, annotated)) is None \
            and describe(ctx.aws, api, annotated) is not None:
        return None, [Problem(resource.address, f"{api.noun} {annotated} (named by "
                              f"{AWS_NAME_ANNOTATION}) exists and is not managed by sagectl",
                              f"adopt it with `sagectl import {spec.endpoint_name or 'ENDPOINT'} "
                              "--adopt` (the endpoint its schedules watch), or remove the "
                              "annotation")]
    aws_name = adopted or content_name(resource.name, ctx.env, request)
    arn = sagemaker_arn(ctx, api.arn_type, aws_name)
    wanted_tags = {**spec.tags, **ctx.ownership_tags(resource, digest(request))}
    owner = ctx.ownership.owner_env(arn)
    exists = owner is not None
    if not exists and describe(ctx.aws, api, aws_name) is not None:
        exists, owner = True, confirm_owner(ctx, arn, api.resource_type)
    creates = not exists
    ctx.shared[definition_key(api.kind, resource.name)] = DefinitionRef(
        api.kind, resource.name, aws_name, api.monitoring_type, spec.endpoint_name, creates)
    if exists and owner != (ctx.env or ""):
        problem = (f"a {api.noun} named {aws_name} already exists and is not managed by sagectl"
                   if owner is None else
                   f"{api.noun} {aws_name} is managed by sagectl environment {owner!r}, not "
                   f"{ctx.env!r}")
        return None, [Problem(resource.address, problem,
                              "import it with `sagectl import`, or rename the spec")]
    previous = _previous(ctx, api, resource.address, aws_name)
    gc, kept = _gc_steps(ctx, api, previous) if previous else ([], [])
    fingerprint = digest({"exists": not creates, "previous": [r.arn for r in previous],
                          "kept": kept})
    if not creates:
        owned = ctx.ownership.get(arn)
        live_tags = owned.tags if owned is not None else {}
        tag_steps = sagemaker_tag_steps(arn, user_tags(live_tags), spec.tags)
        if not tag_steps and not gc:
            return None, []
        summary = ([f"updates the tags of {api.noun} {aws_name}"] if tag_steps else [])
        summary += [f"deletes {s.target}: an earlier version no monitoring schedule uses"
                    for s in gc] + kept
        reason: Reason = Common.TAGS_ONLY if tag_steps else JobDefinitionReason.OLD_VERSIONS
        return ResourceChange(
            resource.address, api.kind, resource.name,
            [Action.UPDATE], reason,
            diff(user_tags(live_tags), spec.tags, "tags") if tag_steps else [],
            tag_steps + gc, {"summary": summary, "aws_name": aws_name},
            fingerprint=digest({"tags": live_tags, "rest": fingerprint}),
            spec_path=ctx.spec_path(resource)), []
    params = {"JobDefinitionName": aws_name, **request, "Tags": tag_list(wanted_tags)}
    create = Step(api.op("Create"), aws_name, params, digest(params)).undone_by(
        Undo(api.op("Delete"), aws_name, {"JobDefinitionName": aws_name},
             "job definition created by this run"))
    summary = [f"creates {api.noun} {aws_name} (immutable: a change creates a new one and the "
               "schedule moves to it)"]
    summary += [f"deletes {s.target}: an earlier version no monitoring schedule uses"
                for s in gc] + kept
    if not any(ctx.ownership.mine(f"sagemaker:{arn_type(t)}") for t in MONITORING_TYPES):
        summary.append(CLOSED_TO_NEW_CUSTOMERS)  # the environment's first definition
    reason = JobDefinitionReason.NEW_VERSION if previous else Common.NEW
    before = _latest_live(ctx, api, previous)
    return ResourceChange(
        resource.address, api.kind, resource.name, [Action.CREATE], reason,
        diff(before, _desired(spec), ""), [create, *gc],
        {"summary": summary, "aws_name": aws_name}, fingerprint=fingerprint,
        depends_on=_depends_on(ctx, spec), spec_path=ctx.spec_path(resource)), []


def _depends_on(ctx: PlanContext, spec: JobDefinitionSpec) -> list[str]:
    """The Endpoint of the specs its input watches: created (or changed) first."""
    name = spec.endpoint_name
    return [f"Endpoint.{name}"] if name and ctx.specs.get("Endpoint", name) is not None else []


def _desired(spec: JobDefinitionSpec) -> dict[str, Any]:
    return dump(spec, SM_ONLY)


def _latest_live(ctx: PlanContext, api: Api, previous: list[OwnedResource]
                 ) -> dict[str, Any] | None:
    """The newest earlier version in spec form (what the diff shows the change from)."""
    if not previous:
        return None
    described = [d for d in ctx.aws.map(lambda r: describe(ctx.aws, api, r.name), previous) if d]
    if not described:
        return None
    latest = max(described, key=lambda d: d["CreationTime"])
    model = SPECS[api.monitoring_type]
    return canonical(model, prune_empty(from_boto(model, latest)), SM_ONLY)


def prune_empty(value: Any) -> Any:
    """``value`` without empty mappings (SageMaker returns ``NetworkConfig: {}`` and the like
    for members that were not set)."""
    if isinstance(value, dict):
        out = {k: prune_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v != {} or k == "parquet"}
    if isinstance(value, list):
        return [prune_empty(v) for v in value]
    return value


def plan(ctx: PlanContext, api: Api, desired: list[Resource]) -> KindPlan:
    result = KindPlan()
    for change, problems in ctx.aws.map(lambda r: plan_one(ctx, api, r), desired):
        result.problems += problems
        if change is None:
            result.unchanged += 0 if problems else 1
        else:
            result.changes.append(change)
    return result


# -- orphans -----------------------------------------------------------------------------------

def orphans(api: Api, owned: list[OwnedResource]) -> list[Orphan]:
    """Definition specs that left the specs: one per address, with all of its versions."""
    by_address: dict[str, list[OwnedResource]] = {}
    for r in owned:
        by_address.setdefault(r.address or f"{api.kind}.{r.name}", []).append(r)
    return [Orphan(address, address.partition(".")[2], tuple(versions),
                   f"{api.noun} {address.partition('.')[2]}",
                   f"its versions ({', '.join(sorted(v.name for v in versions))}) are left "
                   "alone")
            for address, versions in sorted(by_address.items())]


def _used(ctx: PlanContext, api: Api, orphan: Orphan) -> dict[str, list[str]]:
    found = {v.name: users(ctx, api.monitoring_type, v.name, keep_deleted=False)
             for v in orphan.owned}
    return {name: by for name, by in found.items() if by}


def keep_orphan(ctx: PlanContext, api: Api, orphan: Orphan) -> Problem | None:
    """Kept whole when live schedules that this plan does not delete use every version."""
    used = _used(ctx, api, orphan)
    if len(used) < len(orphan.owned):
        return None
    return Problem(orphan.address, f"{orphan.what} left the specs but is in use: " + "; ".join(
        f"{name} by monitoring schedule(s) {', '.join(by)}" for name, by in sorted(used.items()))
        + "; it is kept", severity="warning")


def delete(ctx: PlanContext, api: Api, orphan: Orphan) -> ResourceChange:
    """Deletes the versions no live schedule (that this plan keeps) uses."""
    used = _used(ctx, api, orphan)
    names = sorted(v.name for v in orphan.owned if v.name not in used)
    steps = [delete_step(api, n, "its spec left the specs") for n in names]
    summary = [f"deletes {api.noun} {n}" for n in names]
    summary += [f"{n} stays: monitoring schedule(s) {', '.join(by)} use it"
                for n, by in sorted(used.items())]
    return ResourceChange(
        orphan.address, api.kind, orphan.name, [Action.DELETE], Common.NOT_IN_SPEC, [], steps,
        {"summary": summary}, fingerprint=digest({"delete": names, "kept": sorted(used)}))
