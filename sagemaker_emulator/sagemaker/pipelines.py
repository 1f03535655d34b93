"""SageMaker Pipelines: definitions and versions (executions: ``pipeline_executions.py``).

moto keeps the pipeline objects, so tags, ListTags and the Resource Groups Tagging API keep
working; the emulator serves every pipeline operation itself. Fixes over moto:

- The definition is checked at a basic level, as SageMaker does (``pipeline_definitions.py``): a
  JSON object with a ``Version`` string and a non-empty ``Steps`` list of objects with ``Name``
  and ``Type`` (unique names). Inline definitions over 1 MiB are refused (botocore checks only
  the minimum length).
- ``PipelineDefinitionS3Location`` is read from (moto's) S3, ``VersionId`` included, and
  DescribePipeline returns the JSON text stored there (moto returned a Python repr of it).
- UpdatePipeline bumps LastModifiedTime and mints a new pipeline version on every call (rule 15):
  it returns ``PipelineVersionId``; DescribePipeline takes ``PipelineVersionId``;
  ListPipelineVersions lists them (moto has neither).
- ARNs carry the pipeline name in lower case, as on AWS; names and ARNs are matched
  case-insensitively. A missing pipeline is ``ResourceNotFound`` (moto: ValidationException).
- CreatePipeline repeated with the ClientRequestToken that created the pipeline returns its ARN
  (an idempotent retry); with another token it fails with the "must be unique" ValidationException
  the SageMaker SDK's ``upsert`` looks for.
- Pipeline version aliases (rule 55): CreatePipeline's ``PipelineVersionAliases`` go to version
  1, UpdatePipeline's to the version it creates, refused when the update does not change the
  definition or when another version holds the alias; DescribePipeline (of the latest version,
  or the one ``PipelineVersionId`` / ``PipelineVersionAlias`` names) and ListPipelineVersions
  answer each version's aliases. Aliases are 1-128 of ``[a-zA-Z0-9._-]``, not only digits,
  unique within the pipeline, at most 10 a version.
- Times are on the simulated clock.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.sagemaker.models import FakePipeline, SageMakerModelBackend, sagemaker_backends

from sagemaker_emulator.dispatch import AwsError, CallContext, handler, validation
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.sagemaker.pipeline_definitions import definition_of
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
SM = "sagemaker"
NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$")
PIPELINE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
                          r"pipeline/(?P<name>[^/]+)(?P<rest>/.*)?$")

LOCK = threading.RLock()
"""Guards pipeline state (the served emulator answers calls on several threads)."""

BEFORE_READ: list[Callable[[str, str], None]] = []
"""Called with (account, region) before pipelines or executions are read: the triggers start
the executions that fell due since the last look (``triggers.py``)."""


@dataclass
class PipelineVersion:
    version_id: int
    created: datetime
    definition: str
    display_name: str | None
    description: str | None
    role_arn: str | None
    parallelism: Params | None
    aliases: list[str] = field(default_factory=list)


@dataclass
class PipelineState:
    """What the emulator keeps beside moto's pipeline object."""

    versions: list[PipelineVersion] = field(default_factory=list)
    create_token: str | None = None
    executions: dict[str, Any] = field(default_factory=dict)
    """Execution ARN -> ``pipeline_executions.Execution``."""
    start_tokens: dict[str, str] = field(default_factory=dict)
    """StartPipelineExecution ClientRequestToken -> execution ARN."""
    last_run: datetime | None = None

    @property
    def latest(self) -> PipelineVersion:
        return self.versions[-1]

    def version(self, version_id: Any) -> PipelineVersion | None:
        return next((v for v in self.versions if v.version_id == version_id), None)


def state_of(pipeline: FakePipeline) -> PipelineState:
    st = getattr(pipeline, "_sagectl", None)
    if st is None:  # created behind the emulator's back (moto's own API): adopt it
        st = PipelineState()
        definition = pipeline.pipeline_definition
        if not isinstance(definition, str):
            definition = json.dumps(definition)
        st.versions.append(PipelineVersion(1, pipeline.creation_time, definition,
                                           pipeline.pipeline_display_name,
                                           pipeline.pipeline_description, pipeline.role_arn,
                                           pipeline.parallelism_configuration))
        pipeline._sagectl = st
    return st


def sim_now() -> datetime:
    return STATE.clock.datetime()


def notify_read(account: str, region: str) -> None:
    for listener in list(BEFORE_READ):
        listener(account, region)


# -- finding pipelines ------------------------------------------------------------------------

def backend_of(ctx: CallContext) -> SageMakerModelBackend:
    return sagemaker_backends[ctx.account][ctx.region]


def pipeline_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:pipeline/{name.lower()}"


def find(backend: SageMakerModelBackend, name_or_arn: Any) -> FakePipeline | None:
    """The pipeline named (or with the ARN) ``name_or_arn``, case-insensitively."""
    if not isinstance(name_or_arn, str):
        return None
    name = name_or_arn
    match = PIPELINE_ARN.match(name_or_arn)
    if match:
        if (match["account"], match["region"]) != (backend.account_id, backend.region_name):
            return None
        name = match["name"]
    found = backend.pipelines.get(name)
    if found is not None:
        return found  # type: ignore[no-any-return]
    wanted = name.lower()
    return next((p for n, p in list(backend.pipelines.items()) if n.lower() == wanted), None)


def missing(backend: SageMakerModelBackend, name_or_arn: Any) -> AwsError:
    shown = name_or_arn if isinstance(name_or_arn, str) and name_or_arn.startswith("arn:") else \
        pipeline_arn(backend.account_id, backend.region_name, str(name_or_arn))
    return AwsError("ResourceNotFound", f"Pipeline '{shown}' does not exist.")


def get(backend: SageMakerModelBackend, name_or_arn: Any) -> FakePipeline:
    found = find(backend, name_or_arn)
    if found is None:
        raise missing(backend, name_or_arn)
    return found


def _snapshot(pipeline: FakePipeline, version_id: int, created: datetime,
              aliases: list[str] | None = None) -> PipelineVersion:
    return PipelineVersion(version_id, created, pipeline.pipeline_definition,
                           pipeline.pipeline_display_name, pipeline.pipeline_description,
                           pipeline.role_arn, pipeline.parallelism_configuration,
                           list(aliases or []))


ALIAS = re.compile(r"^[a-zA-Z0-9._\-]{1,128}$")


def _aliases(params: Params, st: PipelineState | None) -> list[str]:
    """The ``PipelineVersionAliases`` of a Create/UpdatePipeline, checked: "Each alias can contain
    1-128 letters, numbers, periods (.), hyphens (-), and underscores (_), and can't consist of
    numbers only. An alias must be unique within the pipeline" (CreatePipeline)."""
    aliases = list(params.get("PipelineVersionAliases") or [])
    for alias in aliases:
        if not isinstance(alias, str) or not ALIAS.match(alias) or alias.isdigit():
            raise validation(f"Alias '{alias}' is not valid: an alias contains 1-128 letters, "
                             "numbers, periods, hyphens and underscores, and can't consist of "
                             "numbers only.")
    if len(set(aliases)) != len(aliases):
        raise validation("An alias must be unique within the pipeline; "
                         f"{sorted(a for a in set(aliases) if aliases.count(a) > 1)} repeated.")
    for version in (st.versions if st else []):
        held = sorted(set(aliases) & set(version.aliases))
        if held:
            raise validation(f"Alias(es) {', '.join(held)} already assigned to pipeline version "
                             f"{version.version_id}: remove them from that version first "
                             "(UpdatePipelineVersion).")
    return aliases


# -- operations -------------------------------------------------------------------------------

@handler(SM, "CreatePipeline")
def create_pipeline(ctx: CallContext, params: Params) -> Params:
    backend = backend_of(ctx)
    name = params.get("PipelineName")
    if not isinstance(name, str) or not NAME.match(name):
        raise validation(f"1 validation error detected: Value '{name}' at 'pipelineName' failed "
                         "to satisfy constraint: Member must satisfy regular expression pattern: "
                         "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}")
    token = params.get("ClientRequestToken")
    with LOCK:
        existing = find(backend, name)
        if existing is not None:
            if token and state_of(existing).create_token == token:
                return {"PipelineArn": existing.arn}
            raise validation("Pipeline names must be unique within an AWS account and region. "
                             f"Pipeline with name ({name}) already exists.")
        definition = definition_of(ctx, params, required=True)
        if not params.get("RoleArn"):
            raise validation("RoleArn is required.")
        pipeline = FakePipeline(name, params.get("PipelineDisplayName"), definition,
                                params.get("PipelineDescription"), params["RoleArn"],
                                list(params.get("Tags") or []), ctx.account, ctx.region,
                                params.get("ParallelismConfiguration"))
        pipeline.arn = pipeline_arn(ctx.account, ctx.region, name)
        now = sim_now()
        pipeline.creation_time = pipeline.last_modified_time = now
        pipeline._sagectl = PipelineState(
            versions=[_snapshot(pipeline, 1, now, _aliases(params, None))], create_token=token)
        backend.pipelines[name] = pipeline
    return {"PipelineArn": pipeline.arn}


UPDATABLE = (("PipelineDisplayName", "pipeline_display_name"),
             ("PipelineDescription", "pipeline_description"), ("RoleArn", "role_arn"),
             ("ParallelismConfiguration", "parallelism_configuration"))


@handler(SM, "UpdatePipeline")
def update_pipeline(ctx: CallContext, params: Params) -> Params:
    backend = backend_of(ctx)
    with LOCK:
        pipeline = get(backend, params.get("PipelineName"))
        st = state_of(pipeline)
        definition = definition_of(ctx, params, required=False)
        aliases = _aliases(params, st)
        if aliases and (definition is None or definition == st.latest.definition):
            raise validation("You can specify aliases only when the update changes the "
                             "pipeline definition.")
        if definition is not None:
            pipeline.pipeline_definition = definition
        for key, attr in UPDATABLE:
            if params.get(key) is not None:
                setattr(pipeline, attr, params[key])
        now = sim_now()
        pipeline.last_modified_time = now
        version = _snapshot(pipeline, st.latest.version_id + 1, now, aliases)
        st.versions.append(version)
    return {"PipelineArn": pipeline.arn, "PipelineVersionId": version.version_id}


@handler(SM, "DescribePipeline")
def describe_pipeline(ctx: CallContext, params: Params) -> Params:
    notify_read(ctx.account, ctx.region)
    backend = backend_of(ctx)
    with LOCK:
        pipeline = get(backend, params.get("PipelineName"))
        st = state_of(pipeline)
        version = st.latest
        if params.get("PipelineVersionId") is not None:
            found = st.version(params["PipelineVersionId"])
            if found is None:
                raise AwsError("ResourceNotFound", f"Pipeline version "
                               f"{params['PipelineVersionId']} of '{pipeline.arn}' does not "
                               "exist.")
            version = found
        alias = params.get("PipelineVersionAlias")
        if alias is not None:
            if params.get("PipelineVersionId") is not None:
                raise validation("PipelineVersionAlias can't be specified with "
                                 "PipelineVersionId.")
            named = next((v for v in st.versions if alias in v.aliases), None)
            if named is None:
                raise AwsError("ResourceNotFound", f"No version of '{pipeline.arn}' has the "
                               f"alias {alias}.")
            version = named
        out: Params = {
            "PipelineArn": pipeline.arn, "PipelineName": pipeline.pipeline_name,
            "PipelineDisplayName": version.display_name or pipeline.pipeline_name,
            "PipelineDefinition": version.definition, "RoleArn": version.role_arn,
            "PipelineStatus": pipeline.pipeline_status, "CreationTime": pipeline.creation_time,
            "LastModifiedTime": pipeline.last_modified_time, "CreatedBy": {},
            "LastModifiedBy": {}}
        if version.description:
            out["PipelineDescription"] = version.description
        if st.last_run is not None:
            out["LastRunTime"] = st.last_run
        if version.parallelism:
            out["ParallelismConfiguration"] = version.parallelism
        if version.aliases:
            out["PipelineVersionAliases"] = list(version.aliases)
    return out


@handler(SM, "DeletePipeline")
def delete_pipeline(ctx: CallContext, params: Params) -> Params:
    backend = backend_of(ctx)
    with LOCK:
        pipeline = get(backend, params.get("PipelineName"))
        del backend.pipelines[pipeline.pipeline_name]
    return {"PipelineArn": pipeline.arn}


def _created_between(items: list[Any], params: Params, created: Callable[[Any], datetime],
                     after: str, before: str) -> list[Any]:
    if params.get(after) is not None:
        items = [i for i in items if created(i).timestamp() > params[after]]
    if params.get(before) is not None:
        items = [i for i in items if created(i).timestamp() < params[before]]
    return items


@handler(SM, "ListPipelines")
def list_pipelines(ctx: CallContext, params: Params) -> Params:
    notify_read(ctx.account, ctx.region)
    with LOCK:
        items = list(backend_of(ctx).pipelines.values())
        prefix = (params.get("PipelineNamePrefix") or "").lower()
        items = [p for p in items if p.pipeline_name.lower().startswith(prefix)]
        items = _created_between(items, params, lambda p: p.creation_time, "CreatedAfter",
                                 "CreatedBefore")
        if params.get("SortBy") == "Name":
            items.sort(key=lambda p: p.pipeline_name)
        else:
            items.sort(key=lambda p: (p.creation_time, p.pipeline_name))
        if params.get("SortOrder", "Descending") == "Descending":
            items.reverse()
        chosen, token = page(items, params)
        summaries = []
        for p in chosen:
            summary = {"PipelineArn": p.arn, "PipelineName": p.pipeline_name,
                       "PipelineDisplayName": p.pipeline_display_name or p.pipeline_name,
                       "RoleArn": p.role_arn, "CreationTime": p.creation_time,
                       "LastModifiedTime": p.last_modified_time}
            if p.pipeline_description:
                summary["PipelineDescription"] = p.pipeline_description
            if state_of(p).last_run is not None:
                summary["LastExecutionTime"] = state_of(p).last_run
            summaries.append(summary)
    return with_token({"PipelineSummaries": summaries}, token)


@handler(SM, "ListPipelineVersions")
def list_pipeline_versions(ctx: CallContext, params: Params) -> Params:
    notify_read(ctx.account, ctx.region)
    with LOCK:
        pipeline = get(backend_of(ctx), params.get("PipelineName"))
        st = state_of(pipeline)
        versions = _created_between(list(st.versions), params, lambda v: v.created,
                                    "CreatedAfter", "CreatedBefore")
        if params.get("SortOrder", "Descending") == "Descending":
            versions.reverse()
        chosen, token = page(versions, params)
        summaries = []
        for v in chosen:
            summary: Params = {"PipelineArn": pipeline.arn, "PipelineVersionId": v.version_id,
                               "CreationTime": v.created}
            if v.aliases:
                summary["PipelineVersionAliases"] = list(v.aliases)
            runs = [e for e in st.executions.values() if e.version_id == v.version_id]
            if runs:
                latest = max(runs, key=lambda e: e.start)
                summary["LastExecutionPipelineExecutionArn"] = latest.arn
            summaries.append(summary)
    return with_token({"PipelineVersionSummaries": summaries}, token)


def version_count(account: str, region: str, name: str) -> int:
    """How many versions a pipeline has: 1 + the UpdatePipeline calls that took effect."""
    with LOCK:
        pipeline = find(sagemaker_backends[account][region], name)
        if pipeline is None:
            raise KeyError(f"no pipeline {name!r}")
        return len(state_of(pipeline).versions)
