"""Adoption: tag imported resources with sagectl's ownership tags, exactly as ``sagectl apply``
would have tagged them, once a rehearsal shows that the next plan finds nothing to change.

The tags come from the kinds themselves (``PlanContext.ownership_tags`` with each kind's own
digest: the CreateModel request, the PutMetricAlarm request, the endpoint's digest and config
structure), computed from the written spec as loaded for the environment, so the path, digest and
commit are those a plan of the same tree uses.

The rehearsal plans the imported resources with the kinds' own planning code, against ownership
as it will be once the tags are on (the tagging API's view plus the tags to add), and must find
no change and no error. Two things a plan takes on trust are checked directly, because the tags
would vouch for them: an adopted model's content (its digest tag stands for it) and the endpoint
config's structure (the ``sagectl:structure`` tag). The config is left out of the rehearsed
ownership, so the plan describes it and compares its structure itself. Scalable targets are not
tagged: planning reads no tags there.

Order of tagging: models, alarms, the endpoint config, the endpoint last. A run that fails
half-way leaves the endpoint unowned, and importing again finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.aws import Aws
from reconciler.importer.documents import Document
from reconciler.kinds._live import tag_list
from reconciler.kinds.alarm.plan import request as alarm_request
from reconciler.kinds.endpoint.changes import EndpointPlanner
from reconciler.kinds.endpoint.live import LiveEndpoint, Scaling
from reconciler.kinds.endpoint.requests import build
from reconciler.kinds.model.adopt import content_diff
from reconciler.kinds.model.content import sensitive_paths
from reconciler.kinds.model.plan import resolve
from reconciler.plan.context import (
    OwnedResource,
    Ownership,
    PlanContext,
    PlanOptions,
    _resource_type,
    git_commit,
)
from reconciler.plan.model import KindPlan, Problem, ResourceChange, digest
from reconciler.plan.planner import load_ownership
from reconciler.spec.resources import Resource, SpecSet

KIND_ORDER = ("Model", "Alarm", "Endpoint")


@dataclass
class Tagging:
    """Tags to put on one live resource."""

    address: str
    what: str
    service: str
    """``sagemaker`` or ``cloudwatch``."""
    arn: str
    live: dict[str, str]
    wanted: dict[str, str]

    @property
    def add(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.wanted.items()) if self.live.get(k) != v}


@dataclass
class Rehearsal:
    taggings: list[Tagging] = field(default_factory=list)
    changes: list[ResourceChange] = field(default_factory=list)
    """Changes the plan would still make to imported resources once they are adopted."""
    problems: list[Problem] = field(default_factory=list)
    """Problems of imported resources (warnings included)."""

    @property
    def clean(self) -> bool:
        return not self.changes and not any(p.severity == "error" for p in self.problems)


def _overlay(ctx: PlanContext, taggings: list[Tagging]) -> None:
    """Ownership as the tagging API will show it once ``taggings`` are done."""
    owned = list(ctx.ownership.by_arn.values())
    owned += [OwnedResource(t.arn, _resource_type(t.arn), {**t.live, **t.wanted})
              for t in taggings]
    ctx.ownership = Ownership(owned, ctx.env)


def _collect(result: Rehearsal, plan: KindPlan, addresses: set[str]) -> None:
    result.changes += [c for c in plan.changes if c.address in addresses]
    result.problems += [p for p in plan.problems if p.address in addresses]


def _used_models(specs: SpecSet, endpoints: list[Resource]) -> list[Resource]:
    """Model specs the endpoints use (their AWS names are needed to plan the endpoints)."""
    names = {v.model_name for e in endpoints
             for v in [*e.spec.production_variants,  # type: ignore[attr-defined]
                       *(e.spec.shadow_production_variants or [])]}  # type: ignore[attr-defined]
    return [r for r in specs.resources if r.kind == "Model" and r.name in names]


def _model_taggings(ctx: PlanContext, models: list[Resource], docs: dict[str, Document],
                    result: Rehearsal) -> None:
    for r in models:
        doc = docs[r.address]
        resolved = resolve(ctx, r)
        differs = content_diff(r.spec, doc.source.described,  # type: ignore[arg-type]
                               sensitive_paths(r.spec))  # type: ignore[arg-type]
        if differs:
            result.problems.append(Problem(
                r.address, f"the live model {doc.source.name} differs from the spec at "
                           f"{', '.join(e.path for e in differs)}",
                "adoption would vouch for content the model does not have; fix the spec"))
        wanted = {**r.spec.tags, **ctx.ownership_tags(  # type: ignore[attr-defined]
            r, resolved.digest(resolved.request))}
        result.taggings.append(Tagging(r.address, f"model {doc.source.name}", "sagemaker",
                                       doc.source.arn, doc.source.tags, wanted))


def _alarm_taggings(ctx: PlanContext, alarms: list[Resource], docs: dict[str, Document],
                    result: Rehearsal) -> None:
    for r in alarms:
        doc = docs[r.address]
        wanted = {**r.spec.tags,  # type: ignore[attr-defined]
                  **ctx.ownership_tags(r, digest(alarm_request(r)))}
        result.taggings.append(Tagging(r.address, f"alarm {r.name}", "cloudwatch",
                                       doc.source.arn, doc.source.tags, wanted))


def _endpoint_taggings(ctx: PlanContext, endpoints: list[Resource], docs: dict[str, Document]
                       ) -> tuple[list[Tagging], list[Tagging]]:
    """(config taggings, endpoint taggings), with the tags the endpoint kind gives them."""
    names = {key.split(":", 1)[1]: value.aws_name for key, value in ctx.shared.items()
             if key.startswith("model:")}
    configs, eps = [], []
    for r in endpoints:
        doc = docs[r.address]
        want = build(r.name, ctx.env, r.spec, names)  # type: ignore[arg-type]
        planner = EndpointPlanner(ctx, r, want, LiveEndpoint(None), Scaling())
        config = doc.config
        assert config is not None
        configs.append(Tagging(r.address, f"endpoint config {config.name}", "sagemaker",
                               config.arn, config.tags, planner.config_tags()))
        eps.append(Tagging(r.address, f"endpoint {r.name}", "sagemaker", doc.source.arn,
                           doc.source.tags, planner.wanted_tags()))
    return configs, eps


def rehearse(specs: SpecSet, aws: Aws, root: Path, account: str | None,
             documents: list[Document], options: PlanOptions | None = None) -> Rehearsal:
    """Plan the imported resources as if adopted; the tags adoption puts on them (``options``:
    with the environment's digest key when adopting, see ``plan.context.with_key``)."""
    result = Rehearsal()
    ctx = PlanContext(aws, specs, git_commit(root), root, options or PlanOptions(), account)
    load_ownership(ctx, [t for k in KIND_ORDER for t in specs.kinds[k].resource_types])
    docs = {d.address: d for d in documents}
    found = {r.address: r for r in specs.resources if r.address in docs}
    for address in docs:
        if address not in found:
            result.problems.append(Problem(address, f"environment {specs.env_name!r} leaves "
                                                    f"{address} out (an override omits it)"))
    of_kind = {k: [r for r in found.values() if r.kind == k] for k in KIND_ORDER}
    if not result.clean:
        return result
    _model_taggings(ctx, of_kind["Model"], docs, result)
    _alarm_taggings(ctx, of_kind["Alarm"], docs, result)
    _overlay(ctx, result.taggings)
    addresses = set(found)
    models = {r.address: r for r in of_kind["Model"] + _used_models(specs, of_kind["Endpoint"])}
    _collect(result, specs.kinds["Model"].plan(ctx, list(models.values())), addresses)
    configs, endpoints = _endpoint_taggings(ctx, of_kind["Endpoint"], docs)
    _overlay(ctx, endpoints)  # not the configs: the plan then checks their structure itself
    if of_kind["Alarm"]:
        _collect(result, specs.kinds["Alarm"].plan(ctx, of_kind["Alarm"]), addresses)
    if of_kind["Endpoint"]:
        _collect(result, specs.kinds["Endpoint"].plan(ctx, of_kind["Endpoint"]), addresses)
    result.taggings += configs + endpoints
    return result


def adopt(aws: Aws, taggings: list[Tagging]) -> list[Tagging]:
    """Put the tags on, in order; the taggings that changed something."""
    done = []
    for t in taggings:
        if not t.add:
            continue
        if t.service == "cloudwatch":
            aws.client("cloudwatch").tag_resource(ResourceARN=t.arn, Tags=tag_list(t.add))
        else:
            aws.client("sagemaker").add_tags(ResourceArn=t.arn, Tags=tag_list(t.add))
        done.append(t)
    return done
