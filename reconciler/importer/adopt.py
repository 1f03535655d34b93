"""Adoption: tag imported resources with sagectl's ownership tags, exactly as ``sagectl apply``
would have tagged them, once a rehearsal shows that the next plan finds nothing to change.

The tags come from the kinds themselves (``Kind.adoption``: ``PlanContext.ownership_tags`` with
each kind's own digest), computed from the written spec as loaded for the environment, so the
path, digest and commit are those a plan of the same tree uses.

The rehearsal plans the imported resources with the kinds' own planning code, kind by kind in
planning order (with the resources they use, whose facts their plans need), against ownership as
it will be once the tags are on (the tagging API's view plus the tags to add), and must find no
change and no error. What a plan takes on trust but the tags would vouch for, the kind checks
directly (a model's content) or leaves out of the rehearsed ownership (``Tagging.rehearsed``: an
endpoint config, whose structure the plan then compares itself).

Order of tagging: the kinds' planning order (models, alarms, the endpoint config, the endpoint
last). A run that fails half-way leaves the endpoint unowned, and importing again finishes the
job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.apply.steps import method_name
from reconciler.aws import Aws
from reconciler.importer.documents import Document
from reconciler.plan.context import (
    OwnedResource,
    Ownership,
    PlanContext,
    PlanOptions,
    _resource_type,
    git_commit,
)
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step
from reconciler.plan.planner import load_ownership
from reconciler.spec.resources import SpecSet


@dataclass
class Tagging:
    """Tags to put on one live resource."""

    address: str
    what: str
    arn: str
    live: dict[str, str]
    wanted: dict[str, str]
    tag: Callable[[str, dict[str, str]], Step] = field(repr=False, compare=False)
    """The request that puts tags on this resource (its service's), for an ARN."""
    rehearsed: bool = True
    """Whether the rehearsal plans with these tags on (False: the plan checks for itself)."""

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


def rehearse(specs: SpecSet, aws: Aws, root: Path, account: str | None,
             documents: list[Document], options: PlanOptions | None = None) -> Rehearsal:
    """Plan the imported resources as if adopted; the tags adoption puts on them (``options``:
    with the environment's digest key when adopting, see ``plan.context.with_key``)."""
    result = Rehearsal()
    ctx = PlanContext(aws, specs, git_commit(root), root, options or PlanOptions(), account)
    docs = {d.address: d for d in documents}
    found = {r.address: r for r in specs.resources if r.address in docs}
    used = [use for r in found.values() for use in specs.kinds[r.kind].uses(r)]
    involved = {d.kind for d in documents} | {kind for kind, _ in used}
    kinds = [k for k in specs.kinds.ordered() if k.kind in involved]
    load_ownership(ctx, [t for k in kinds for t in k.resource_types])
    for address in docs:
        if address not in found:
            result.problems.append(Problem(address, f"environment {specs.env_name!r} leaves "
                                                    f"{address} out (an override omits it)"))
    if not result.clean:
        return result
    for kind in kinds:
        mine = [r for r in found.values() if r.kind == kind.kind]
        names = {name for k, name in used if k == kind.kind}
        planned = {r.address: r for r in mine + [r for r in specs.resources
                                                 if r.kind == kind.kind and r.name in names]}
        taggings, problems = kind.adoption(ctx, mine, docs)
        result.problems += problems
        _overlay(ctx, [t for t in taggings if t.rehearsed])
        if planned:
            _collect(result, kind.plan(ctx, list(planned.values())), set(found))
        result.taggings += taggings
    return result


def adopt(aws: Aws, taggings: list[Tagging]) -> list[Tagging]:
    """Put the tags on, in order; the taggings that changed something."""
    done = []
    for t in taggings:
        if not t.add:
            continue
        step = t.tag(t.arn, t.add)
        service, _, operation = step.op.partition(":")
        client = aws.client(service)
        getattr(client, method_name(client, operation))(**step.params)
        done.append(t)
    return done
