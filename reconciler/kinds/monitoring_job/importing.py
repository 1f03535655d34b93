"""``sagectl import`` of job definitions (those the monitoring schedules of an imported endpoint
use; the ``MonitoringSchedule`` kind asks for them): reading them, naming them, their spec
documents, and the tags adoption puts on them.

- Naming: a spec that names the live definition (``sagectl.io/aws-name``, or the spec a
  sagectl-made definition was created for) is referenced. A definition sagectl made for this
  environment gets its spec name back: its content name without the ``-<hash8>`` suffix (the
  address tag says which spec it was made for), so the plan finds it by content again. An
  unmanaged definition becomes a new spec named like it (cut to 54 characters, made unique),
  with its live name in ``metadata.annotations["sagectl.io/aws-name"]``: the plan uses that name
  while the content is unchanged (``plan.adopted_name``). One managed elsewhere is refused.
- Adoption vouches for the content (the digest tag stands for it), so the live definition is
  compared with the spec first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.importer.adopt import Tagging
from reconciler.importer.documents import Document
from reconciler.importer.live import ImportRefused, Tagged, clean
from reconciler.importer.naming import Choice, ImportContext
from reconciler.kinds._aws import CONTENT_SUFFIX_LEN
from reconciler.kinds._documents import integral, prune, unmanaged, unmanaged_warning, user_tags
from reconciler.kinds._live import add_tags, canonical, dump, from_boto
from reconciler.kinds.monitoring_job.plan import (
    AWS_NAME_ANNOTATION,
    SM_ONLY,
    Api,
    annotated_name,
    content_request,
    describe,
    prune_empty,
)
from reconciler.kinds.monitoring_job.spec import SPECS
from reconciler.plan.context import PlanContext
from reconciler.plan.diff import diff
from reconciler.plan.model import Problem, digest
from reconciler.spec.resources import Resource

MAX_NAME = 63 - CONTENT_SUFFIX_LEN
READ_ONLY = frozenset({"JobDefinitionName", "JobDefinitionArn", "CreationTime"})
"""Response fields that describe a definition rather than configure it."""


def read(ictx: ImportContext, api: Api, names: list[str]) -> dict[str, Tagged]:
    """The live definitions ``names`` (tags are read by the import for everything at once); one
    that does not exist is missing from the result."""
    found = {}
    for name, described in zip(names, ictx.aws.map(lambda n: describe(ictx.aws, api, n), names),
                               strict=True):
        if described is not None:
            described = clean(described)
            found[name] = Tagged(name, described["JobDefinitionArn"], described, {})
    return found


def _stripped(name: str) -> str:
    """A content name without its ``-<hash8>`` suffix."""
    return name[:-CONTENT_SUFFIX_LEN] if len(name) > CONTENT_SUFFIX_LEN else name


def _new_name(ictx: ImportContext, kind: str, base: str) -> str:
    base = base[:MAX_NAME].rstrip("-")
    taken = set(ictx.tree.named(kind)) | ictx.chosen(kind)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base[:MAX_NAME - len(str(n)) - 1].rstrip('-')}-{n}"
    return name


def choice(ictx: ImportContext, api: Api, name: str, live: Tagged | None) -> Choice:
    if live is None:
        raise ImportRefused(f"{api.noun} {name} does not exist (a monitoring schedule uses it): "
                            "sagectl cannot describe it as a spec")
    kind = api.kind
    adopted = {annotated: r.name for r in ictx.tree.named(kind).values()
               if (annotated := annotated_name(r))}
    if live.name in adopted:
        return Choice(adopted[live.name], new=False)
    if not live.managed:
        return Choice(_new_name(ictx, kind, live.name), new=True)
    owned_spec = (live.address or "").partition(".")[2]
    if live.env == ictx.tree.env and live.address == f"{kind}.{owned_spec}" and owned_spec:
        if owned_spec in ictx.tree.named(kind):
            return Choice(owned_spec, new=False)
        return Choice(owned_spec, new=True)
    raise ImportRefused(f"{api.noun} {live.name} is managed by sagectl ({live.owner_text()}), "
                        f"but no {kind} spec here describes it")


def live_spec(api: Api, described: dict[str, Any]) -> dict[str, Any]:
    """A Describe*JobDefinition response in spec form (empty members mean absent)."""
    model = SPECS[api.monitoring_type]
    return canonical(model, prune_empty(from_boto(model, described)), SM_ONLY)


def document(ictx: ImportContext, api: Api, live: Tagged, name: str) -> Document:
    """A spec document named ``name`` for the live definition ``live``: the live name is
    annotated unless it is the content name sagectl gave it (then the plan finds it again)."""
    model = SPECS[api.monitoring_type]
    spec = prune(model, prune_empty(from_boto(model, live.described)))
    spec = {k: v for k, v in spec.items() if k not in SM_ONLY}
    _restore_parquet(api, spec, live.described)
    tags = user_tags(live.tags)
    if tags:
        spec["tags"] = tags
    sagectls = live.managed and _stripped(live.name) == name
    doc = Document(api.kind, name, integral(spec), live,
                   {} if sagectls else {AWS_NAME_ANNOTATION: live.name})
    ictx.warnings += unmanaged_warning(
        f"{api.noun} {live.name}", unmanaged(model, live.described, READ_ONLY),
        "a new version of it created by sagectl will not have them")
    return doc


def _restore_parquet(api: Api, spec: dict[str, Any], described: dict[str, Any]) -> None:
    """``datasetFormat: {parquet: {}}``: an empty member that means something (the format), which
    pruning empty values dropped."""
    live = ((described.get(f"{api.monitoring_type}JobInput") or {})
            .get("BatchTransformInput") or {}).get("DatasetFormat") or {}
    if "Parquet" in live:
        job_input = spec.get(f"{api.monitoring_type[0].lower()}{api.monitoring_type[1:]}JobInput")
        batch = (job_input or {}).get("batchTransformInput")
        if batch is not None:
            batch["datasetFormat"] = {**batch.get("datasetFormat", {}), "parquet": {}}


def adoption(ctx: PlanContext, api: Api, resources: list[Resource],
             documents: Mapping[str, Document]) -> tuple[list[Tagging], list[Problem]]:
    """The tags ``plan`` gives the definition it creates; a live definition whose content
    differs from the spec is a problem (the digest tag would vouch for content it lacks)."""
    taggings, problems = [], []
    for r in resources:
        doc = documents[r.address]
        differs = diff(live_spec(api, doc.source.described), dump(r.spec, SM_ONLY), "")
        if differs:
            problems.append(Problem(
                r.address, f"the live {api.noun} {doc.source.name} differs from the spec at "
                           f"{', '.join(e.path for e in differs)}",
                "adoption would vouch for content the definition does not have; fix the spec"))
        request = content_request(r.spec)  # type: ignore[arg-type]
        wanted = {**r.spec.tags,  # type: ignore[attr-defined]
                  **ctx.ownership_tags(r, digest(request))}
        taggings.append(Tagging(r.address, f"{api.noun} {doc.source.name}", doc.source.arn,
                                doc.source.tags, wanted, add_tags))
    return taggings, problems
