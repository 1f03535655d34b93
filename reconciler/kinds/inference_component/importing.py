"""``sagectl import`` for the inference components an imported endpoint hosts: reading them (one
paginated ListInferenceComponents per endpoint, a DescribeInferenceComponent each, Application
Auto Scaling of their copy counts), naming them, their spec documents, and the tags adoption puts
on them.

- Naming: the component's own name (it is its AWS name). One the spec tree defines already is
  referenced (no document); one sagectl manages for another address or environment is refused.
- The document: where it runs, its specification in spec form (its model by the Model spec's
  name the import gives it), the copy count it has *now* (DescribeInferenceComponent's
  ``DesiredCopyCount``); an autoscaled count gets ``capacityOwner: autoscaling`` and its
  ``autoscaling``; an adapter has no copies of its own; the rolling policy of its last
  deployment, its rollback alarms referenced as ``external: true``; user tags.
- Adoption tags it as ``plan`` would have (the digest of what sagectl applies).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.importer.adopt import Tagging
from reconciler.importer.documents import Document
from reconciler.importer.live import ImportRefused, Tagged, clean
from reconciler.importer.naming import Choice, ImportContext
from reconciler.kinds._autoscaling import Scaling, live_autoscaling, read_scaling
from reconciler.kinds._aws import extra_from_boto
from reconciler.kinds._documents import integral, prune, unmanaged, unmanaged_warning, user_tags
from reconciler.kinds._live import add_tags, canonical, from_boto
from reconciler.kinds.inference_component import live
from reconciler.kinds.inference_component.extras import extra_tag
from reconciler.kinds.inference_component.plan import content, model_names
from reconciler.kinds.inference_component.spec import (
    CopyAutoscaling,
    DeploymentConfig,
    InferenceComponentSpec,
)
from reconciler.plan.context import PlanContext
from reconciler.plan.model import Problem, digest
from reconciler.spec.resources import Resource

KIND = "InferenceComponent"
READ_ONLY = frozenset({
    "InferenceComponentName", "InferenceComponentArn", "EndpointArn", "FailureReason",
    "CreationTime", "LastModifiedTime", "InferenceComponentStatus", "LastDeploymentConfig",
    "DesiredCopyCount", "CurrentCopyCount", "DeployedImage"})
"""Response fields that describe a component rather than configure it (its runtime config's
counts become ``runtimeConfig.copyCount``; ``DeployedImage`` is the container's image as
deployed)."""


def related(ictx: ImportContext, kind: str, names: list[str]) -> dict[str, list[str]]:
    """The components each endpoint hosts (ListInferenceComponents, one paginated list per
    endpoint)."""
    if kind != "Endpoint":
        return {}
    def listed(endpoint: str) -> list[str]:
        return sorted(c["InferenceComponentName"] for c in ictx.aws.paginate(
            "sagemaker", "list_inference_components", "InferenceComponents",
            EndpointNameEquals=endpoint))
    return dict(zip(names, ictx.aws.map(listed, names), strict=True))


def read(ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
    sm = ictx.aws.client("sagemaker")

    def one(name: str) -> Tagged | None:
        described = live.describe(sm, name)
        if described is None:  # deleted since it was listed
            return None
        return Tagged(name, described["InferenceComponentArn"], clean(described), {})

    found = {t.name: t for t in ictx.aws.map(one, names) if t is not None}
    busy = [t for t in found.values()
            if t.described.get("InferenceComponentStatus") != "InService"]
    if busy:
        raise ImportRefused("; ".join(
            f"inference component {t.name} is {t.described.get('InferenceComponentStatus')}"
            for t in busy) + ": import once it is InService (it may still change)")
    ictx.once("ic:scaling", lambda: read_scaling(
        ictx.aws, [live.resource_id(n) for n in sorted(found)]))
    return found


def choice(ictx: ImportContext, name: str, found: Tagged | None) -> Choice | None:
    if found is None:
        return None
    known = ictx.named_as_live(KIND, "inference component", name, found)
    if known is not None:
        return known
    return Choice(name, new=True)


def _model_name(ictx: ImportContext, aws_name: str) -> str:
    """The Model spec name the import gave the live model (the endpoint kind chose it)."""
    chosen = ictx.choices.get(("Model", aws_name))
    return chosen.name if chosen is not None else aws_name


def _deployment(ictx: ImportContext, found: Tagged) -> dict[str, Any] | None:
    last = found.described.get("LastDeploymentConfig")
    if not last or "RollingUpdatePolicy" not in last:
        return None
    cfg = prune(DeploymentConfig, canonical(DeploymentConfig, from_boto(DeploymentConfig, last)))
    alarms = [a["AlarmName"] for a in (last.get("AutoRollbackConfiguration") or {}).get(
        "Alarms", [])]
    cfg.pop("autoRollbackConfiguration", None)
    if alarms:
        cfg["autoRollbackConfiguration"] = {"alarms": [{"alarmName": a, "external": True}
                                                       for a in alarms]}
        ictx.notes.append(f"inference component {found.name}: rollback alarm(s) "
                          f"{', '.join(alarms)} referenced with `external: true`")
    return cfg


def document(ictx: ImportContext, found: Tagged, name: str) -> Document:
    d = found.described
    spec: dict[str, Any] = {"endpointName": d["EndpointName"], "variantName": d["VariantName"]}
    specification = live.live_canonical(d)
    if specification.get("modelName"):
        specification["modelName"] = _model_name(ictx, specification["modelName"])
    spec["specification"] = specification
    copies = live.copies(d)
    rid = live.resource_id(found.name)
    scaling = live_autoscaling(ictx.once("ic:scaling", Scaling), rid, CopyAutoscaling)
    if not specification.get("baseInferenceComponentName") and copies is not None:
        if scaling is not None:
            copies = min(max(copies, scaling["minCapacity"]), scaling["maxCapacity"])
        spec["runtimeConfig"] = {"copyCount": copies}
    if scaling is not None:
        spec["capacityOwner"] = "autoscaling"
        spec["autoscaling"] = prune(CopyAutoscaling, scaling)
        for policy in spec["autoscaling"].get("scalingPolicies", []):
            implied = ("StepScaling" if "stepScalingPolicyConfiguration" in policy
                       else "TargetTrackingScaling")
            if policy.get("policyType") == implied:
                del policy["policyType"]
    deployment = _deployment(ictx, found)
    if deployment:
        spec["deploymentConfig"] = deployment
    extra = extra_from_boto(InferenceComponentSpec, d)
    if extra:
        spec["awsExtra"] = extra
    tags = user_tags(found.tags)
    if tags:
        spec["tags"] = tags
    ictx.warnings += unmanaged_warning(
        f"inference component {found.name}",
        unmanaged(InferenceComponentSpec, d, READ_ONLY),
        "an update by sagectl would not keep them")
    return Document(KIND, name, integral(prune(InferenceComponentSpec, spec)), found)


def adoption(ctx: PlanContext, resources: list[Resource], documents: Mapping[str, Document]
             ) -> tuple[list[Tagging], list[Problem]]:
    """The tags ``plan`` gives the component it creates (the digest of what it applies)."""
    names = model_names(ctx)
    taggings = []
    for r in resources:
        doc = documents[r.address]
        spec: InferenceComponentSpec = r.spec  # type: ignore[assignment]
        wanted = {**spec.tags, **ctx.ownership_tags(r, digest(content(spec, names)),
                                                    extra_tag(spec.aws_extra))}
        taggings.append(Tagging(r.address, f"inference component {r.name}", doc.source.arn,
                                doc.source.tags, wanted, add_tags))
    return taggings, []
