"""``sagectl import`` for models an imported endpoint uses: reading them, naming them, their spec
documents, and the tags adoption puts on them.

- Naming: a Model spec that names the live model (``sagectl.io/aws-name``, or the spec a
  sagectl-made model was created for) is referenced; an unmanaged model becomes a new Model spec
  named like the model (cut to 54 characters, made unique); one managed by sagectl that no spec
  names is refused.
- The document: the DescribeModel response in spec form, its user tags, and the live name in
  ``metadata.annotations["sagectl.io/aws-name"]`` (the model kind plans with it, see
  ``adopt.py``).
- Adoption vouches for the model's content (its digest tag stands for it), so the live model is
  compared with the spec first.
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import ClientError

from reconciler.importer.adopt import Tagging
from reconciler.importer.documents import Document
from reconciler.importer.live import ImportRefused, Tagged, clean
from reconciler.importer.naming import Choice, ImportContext
from reconciler.kinds._aws import CONTENT_SUFFIX_LEN
from reconciler.kinds._documents import integral, prune, unmanaged, unmanaged_warning, user_tags
from reconciler.kinds._live import add_tags, not_found
from reconciler.kinds.model.adopt import (
    AWS_NAME_ANNOTATION,
    annotated_name,
    content_diff,
    live_spec,
)
from reconciler.kinds.model.content import SM_ONLY, sensitive_paths
from reconciler.kinds.model.plan import resolve
from reconciler.kinds.model.spec import ModelSpec
from reconciler.plan.context import PlanContext
from reconciler.plan.model import Problem
from reconciler.spec.resources import Resource

MAX_NAME = 63 - CONTENT_SUFFIX_LEN
READ_ONLY = frozenset({"ModelName", "ModelArn", "CreationTime", "DeploymentRecommendation"})
"""Response fields that describe a model rather than configure it."""


def _model(ictx: ImportContext, name: str) -> Tagged:
    try:
        described = clean(ictx.aws.client("sagemaker").describe_model(ModelName=name))
    except ClientError as err:
        if not_found(err):
            raise ImportRefused(f"model {name} does not exist (an endpoint config uses it): "
                                "sagectl cannot describe it as a spec") from None
        raise
    return Tagged(name, described["ModelArn"], described, {})


def read(ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
    return dict(zip(names, ictx.aws.map(lambda n: _model(ictx, n), names), strict=True))


def _new_name(ictx: ImportContext, live: str) -> str:
    base = live[:MAX_NAME].rstrip("-")
    taken = set(ictx.tree.named("Model")) | ictx.chosen("Model")
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base[:MAX_NAME - len(str(n)) - 1].rstrip('-')}-{n}"
    return name


def choice(ictx: ImportContext, live: Tagged) -> Choice:
    adopted = {annotated: r.name for r in ictx.tree.named("Model").values()
               if (annotated := annotated_name(r))}
    if live.name in adopted:
        return Choice(adopted[live.name], new=False)
    if not live.managed:
        return Choice(_new_name(ictx, live.name), new=True)
    owned_spec = (live.address or "").removeprefix("Model.")
    candidate = _new_name(ictx, live.name)
    if live.env == ictx.tree.env and owned_spec in ictx.tree.named("Model"):
        return Choice(owned_spec, new=False)
    if ictx.mine(live, f"Model.{candidate}"):
        return Choice(candidate, new=True)
    raise ImportRefused(f"model {live.name} is managed by sagectl ({live.owner_text()}), but no "
                        "Model spec here describes it")


def document(ictx: ImportContext, live: Tagged, name: str) -> Document:
    """A Model spec named ``name`` for the live model ``live``."""
    spec = prune(ModelSpec, live_spec(live.described))
    spec = {k: v for k, v in spec.items() if k not in SM_ONLY}
    tags = user_tags(live.tags)
    if tags:
        spec["tags"] = tags
    doc = Document("Model", name, integral(spec), live, {AWS_NAME_ANNOTATION: live.name})
    containers = ([("primaryContainer",)] if "primaryContainer" in spec else
                  [("containers", i) for i in range(len(spec.get("containers", [])))])
    secrets = []
    for at in containers:
        container = spec[at[0]] if len(at) == 1 else spec[at[0]][at[1]]
        if container.get("environment"):
            doc.comments[("spec", *at, "environment")] = (
                "copied from the live model as is: review before committing (secrets?)")
            secrets += sorted(container["environment"])
    ictx.warnings += unmanaged_warning(
        f"model {live.name}", unmanaged(ModelSpec, live.described, READ_ONLY),
        "a new version of this Model created by sagectl will not have them")
    if secrets:
        ictx.warnings.append(f"model {live.name}: the spec contains container environment "
                             f"values ({', '.join(secrets)}); review them before committing")
    return doc


def adoption(ctx: PlanContext, resources: list[Resource], documents: Mapping[str, Document]
             ) -> tuple[list[Tagging], list[Problem]]:
    """The tags ``plan`` gives the model it creates; a live model whose content differs from
    the spec is a problem (the digest tag would vouch for content it does not have)."""
    taggings, problems = [], []
    for r in resources:
        doc = documents[r.address]
        resolved = resolve(ctx, r)
        differs = content_diff(r.spec, doc.source.described,  # type: ignore[arg-type]
                               sensitive_paths(r.spec))  # type: ignore[arg-type]
        if differs:
            problems.append(Problem(
                r.address, f"the live model {doc.source.name} differs from the spec at "
                           f"{', '.join(e.path for e in differs)}",
                "adoption would vouch for content the model does not have; fix the spec"))
        wanted = {**r.spec.tags, **ctx.ownership_tags(  # type: ignore[attr-defined]
            r, resolved.digest(resolved.request))}
        taggings.append(Tagging(r.address, f"model {doc.source.name}", doc.source.arn,
                                doc.source.tags, wanted, add_tags))
    return taggings, problems
