"""Planning ``Model`` resources.

Models are immutable: a spec change means a new model. sagectl names each one by content,
``<metadata.name>-<hash8>`` (the hash covers the CreateModel request and the environment), so:
- an existing model with the desired name *is* the desired model: no describe needed;
- a changed spec plans a new model; the previous versions stay as rollback targets until an
  endpoint deploy has been verified and garbage-collects them.
The hash, the ``sagectl:spec-digest`` tag and the CreateModel ``request_digest`` of a model whose
containers have environment values are keyed with the environment's digest key (``digest_key.py``):
a plain hash would let anyone who sees a name, a tag or a plan confirm a guessed secret. Models
without environment values keep plain hashes, so their names do not change.
A model adopted with ``sagectl import`` keeps its own name while it matches the spec
(``adopt.py``).

Registry sources are resolved here: ``latestApproved`` with ListModelPackages(Approved,
SortBy=CreationTime, SortOrder=Descending) — the API's default order is ascending — and the
resolved package ARN is pinned in the plan's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

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
from reconciler.kinds.model.adopt import adoption
from reconciler.kinds.model.content import (
    SM_ONLY,
    content_name,
    has_environment,
    sensitive_paths,
)
from reconciler.kinds.model.reasons import ModelReason
from reconciler.kinds.model.registry import (
    GroupRef,
    RegistryDenied,
    artifact_warning,
    denied,
    denied_message,
    group_ref,
)
from reconciler.kinds.model.spec import LATEST_APPROVED, ModelSpec
from reconciler.plan.context import OwnedResource, PlanContext, user_tags
from reconciler.plan.diff import diff, redact
from reconciler.plan.model import KindPlan, Problem, ResourceChange, Step, Undo, digest
from reconciler.plan.vocabulary import Action, Common, Reason
from reconciler.spec.resources import Resource


@dataclass
class Resolved:
    """What a Model spec becomes in AWS."""

    aws_name: str
    request: dict[str, Any]
    """The CreateModel request without ModelName and Tags."""
    packages: list[str]
    """Human lines: which registry versions were resolved."""
    digest: Callable[[Any], str] = digest
    """How this model's names, tags and request digests are computed (keyed: it holds
    environment values)."""
    waits: str | None = None
    marketplace: str | None = None
    """The Marketplace product a container deploys (its package's ProductId): SageMaker runs
    no deployment guardrails on endpoints that use it (sagemaker-rules.md rule 18)."""
    warnings: list[str] = field(default_factory=list)
    """What reviewers should know (artifacts in another account's registry)."""


def shared_key(name: str) -> str:
    return f"model:{name}"


def pin_key(group: str) -> str:
    return f"registry:{group}:latestApproved"


def _latest_approved(ctx: PlanContext, group: str) -> str:
    """``group`` is the group's name or ARN (ListModelPackages takes either)."""
    found = ctx.aws.client("sagemaker").list_model_packages(
        ModelPackageGroupName=group, ModelApprovalStatus="Approved",
        ModelPackageType="Versioned",  # the documented default is Unversioned (rule 16)
        SortBy="CreationTime", SortOrder="Descending", MaxResults=1,
    )["ModelPackageSummaryList"]
    if not found:
        raise LookupError(f"model package group {group} has no Approved version yet")
    return found[0]["ModelPackageArn"]  # type: ignore[no-any-return]


def _resolve_package(ctx: PlanContext, group: GroupRef, version: int | str) -> tuple[str, str]:
    """(package ARN, human line), or raise LookupError with the reason it cannot be resolved
    (RegistryDenied: another account's group does not grant this one).

    ``latestApproved`` is resolved with an explicit descending sort (the API's default order is
    ascending) and pinned in the plan: applying the saved plan deploys this version even if a
    newer one is approved in between."""
    label = group.ref
    try:
        if version == LATEST_APPROVED:
            saved = pin_key(group.ref) in ctx.options.pins
            arn = ctx.pinned(pin_key(group.ref), lambda: _latest_approved(ctx, group.ref))
            number = arn.rsplit("/", 1)[-1]
            how = "pinned by the saved plan" if saved else "latest Approved"
            return arn, f"{label}: {how} is version {number} ({arn})"
        if group.by_arn:
            arn = group.package_arn(int(version), ctx.aws.region, ctx.account)
        else:
            arn = sagemaker_arn(ctx, "model-package", f"{group.name}/{version}")
        package = _package(ctx, arn)
        status = package.get("ModelApprovalStatus", "?")
        return arn, f"{label}: pinned version {version} ({status})"
    except ClientError as err:
        if denied(err):
            raise RegistryDenied(denied_message(group, ctx.account, err)) from None
        if not_found(err) or (group.by_arn and version != LATEST_APPROVED and err.response.get(
                "Error", {}).get("Code") == "ValidationException"):
            raise LookupError(f"model package group {label} (or version {version}) does not "
                              "exist yet") from None
        raise


def _package(ctx: PlanContext, arn: str) -> dict[str, Any]:
    """DescribeModelPackage of ``arn``, read once per plan."""
    return ctx.once(f"package:{arn}", lambda: ctx.aws.client("sagemaker").describe_model_package(
        ModelPackageName=arn))  # type: ignore[no-any-return]


def _artifacts(ctx: PlanContext, group: GroupRef, arn: str, role: str | None) -> str | None:
    """The warning for a package of another account's registry whose containers bring S3
    artifacts (read only for groups named by ARN in another account)."""
    if not group.by_arn or group.account == ctx.account:
        return None
    try:
        package = _package(ctx, arn)
    except ClientError as err:
        if denied(err):
            raise RegistryDenied(denied_message(group, ctx.account, err)) from None
        if not_found(err) or err.response.get("Error", {}).get("Code") == "ValidationException":
            return None
        raise
    containers = (package.get("InferenceSpecification") or {}).get("Containers") or []
    urls = [c["ModelDataUrl"] for c in containers if c.get("ModelDataUrl")]
    urls += [c["ModelDataSource"]["S3DataSource"]["S3Uri"] for c in containers
             if (c.get("ModelDataSource") or {}).get("S3DataSource", {}).get("S3Uri")]
    return artifact_warning(group, ctx.account, role, urls)


def _marketplace_product(ctx: PlanContext, package: str) -> str | None:
    """The Marketplace ProductId of a model package named directly by a container, read once per
    plan. AWS defines no "Marketplace container" in the API; a package whose containers carry a
    ``ProductId`` (ModelPackageContainerDefinition, the API's only Marketplace field) is one. A
    package that does not exist has none (CreateModel will say so)."""
    def read() -> str | None:
        try:
            described = ctx.aws.client("sagemaker").describe_model_package(
                ModelPackageName=package)
        except ClientError as err:
            if not_found(err):
                return None
            raise
        containers = (described.get("InferenceSpecification") or {}).get("Containers") or []
        return next((c["ProductId"] for c in containers if c.get("ProductId")), None)

    return ctx.once(f"package-product:{package}", read)


def resolve(ctx: PlanContext, resource: Resource) -> Resolved:
    spec: ModelSpec = resource.spec  # type: ignore[assignment]
    request = _boto(spec)
    lines: list[str] = []
    warnings: list[str] = []
    waits = None
    marketplace = None
    containers = ([request["PrimaryContainer"]] if "PrimaryContainer" in request
                  else request.get("Containers", []))
    for container, source in zip(containers, spec.all_containers(), strict=True):
        if source.model_package_name is not None:
            product = _marketplace_product(ctx, source.model_package_name)
            if product is not None:
                marketplace = f"product {product} via {source.model_package_name}"
        if source.registry_group is None:
            continue
        group = group_ref(source.registry_group)
        try:
            arn, line = _resolve_package(ctx, group, source.model_package_version
                                         or LATEST_APPROVED)
        except LookupError as reason:
            waits = f"{reason}; the model can be created once a version is approved"
            arn, line = f"(unresolved: {group.ref})", str(reason)
        else:
            warning = _artifacts(ctx, group, arn, spec.execution_role_arn)
            if warning is not None:
                warnings.append(warning)
        container["ModelPackageName"] = arn
        lines.append(line)
    keyed = ctx.digest_for(has_environment(request))
    return Resolved(content_name(resource.name, ctx.env, request, keyed), request, lines,
                    keyed, waits, marketplace, warnings)


def _boto(spec: ModelSpec) -> dict[str, Any]:
    request = boto_request(spec, SM_ONLY)
    request.setdefault("EnableNetworkIsolation", False)
    return request


def _describe(ctx: PlanContext, name: str) -> dict[str, Any] | None:
    try:
        return ctx.aws.client("sagemaker").describe_model(ModelName=name)  # type: ignore[no-any-return]
    except ClientError as err:
        if not_found(err):
            return None
        raise


def _live_spec(described: dict[str, Any]) -> dict[str, Any]:
    return canonical(ModelSpec, from_boto(ModelSpec, described), SM_ONLY)


def _desired_spec(spec: ModelSpec) -> dict[str, Any]:
    return dump(spec, SM_ONLY)


def plan_one(ctx: PlanContext, resource: Resource) -> tuple[ResourceChange | None, list[Problem]]:
    spec: ModelSpec = resource.spec  # type: ignore[assignment]
    try:
        resolved = resolve(ctx, resource)
    except RegistryDenied as err:
        return None, [Problem(resource.address, str(err))]
    notes = [Problem(resource.address, w, severity="warning") for w in resolved.warnings]
    change, problems = _plan_resolved(ctx, resource, spec, resolved)
    return change, notes + problems


def _plan_resolved(ctx: PlanContext, resource: Resource, spec: ModelSpec, resolved: Resolved
                   ) -> tuple[ResourceChange | None, list[Problem]]:
    adopted = adoption(ctx, resource, resolved.request)  # a model `sagectl import` adopted
    resolved.aws_name = adopted.name or resolved.aws_name
    ctx.shared[shared_key(resource.name)] = resolved
    if adopted.problem is not None:
        return None, [adopted.problem]
    arn = sagemaker_arn(ctx, "model", resolved.aws_name)
    secret = sensitive_paths(spec)
    owner = ctx.ownership.owner_env(arn)
    if owner is None and _describe(ctx, resolved.aws_name) is not None:
        # Missing from the plan's tagging snapshot, yet there: another run may have created it
        # since the snapshot was read; its own tags say (the ownership race).
        owner = confirm_owner(ctx, arn, "sagemaker:model")
        if owner is None:
            return None, [Problem(resource.address, f"a model named {resolved.aws_name} already "
                                                    "exists and is not managed by sagectl",
                                  "import it with `sagectl import`, or rename the Model spec")]
    wanted_tags = {**spec.tags,
                   **ctx.ownership_tags(resource, resolved.digest(resolved.request))}
    if owner == (ctx.env or ""):
        live = ctx.ownership.get(arn)
        assert live is not None
        steps = sagemaker_tag_steps(arn, user_tags(live.tags), spec.tags)
        if not steps:
            return None, []
        return ResourceChange(
            resource.address, "Model", resource.name, [Action.UPDATE], Common.TAGS_ONLY,
            diff(user_tags(live.tags), spec.tags, "tags"), steps,
            {"summary": [f"updates the tags of model {resolved.aws_name}"]},
            fingerprint=digest(live.tags), spec_path=ctx.spec_path(resource)), []
    if owner is not None:
        return None, [Problem(resource.address, f"model {resolved.aws_name} is managed by "
                                                f"sagectl environment {owner!r}, not {ctx.env!r}")]
    previous = ctx.ownership.mine("sagemaker:model", resource.address)
    before: dict[str, Any] | None = None
    reason: Reason = Common.NEW
    summary = [f"creates model {resolved.aws_name}"]
    described = [d for d in ctx.aws.map(lambda r: _describe(ctx, r.name), previous) if d]
    if described:
        latest = max(described, key=lambda d: d["CreationTime"])
        before = _live_spec(latest)
        reason = ModelReason.NEW_VERSION
        summary.append(f"a new version (models are immutable); {latest['ModelName']} stays as a "
                       "rollback target until endpoint garbage collection")
        if _renamed_by_keying(resource, ctx, resolved, described):
            summary.append(RENAMED)
    summary += resolved.packages
    params = {"ModelName": resolved.aws_name, **resolved.request, "Tags": tag_list(wanted_tags)}
    step = Step("sagemaker:CreateModel", resolved.aws_name, redact(params, secret),
                resolved.digest(params), request=params).undone_by(
        Undo("sagemaker:DeleteModel", resolved.aws_name, {"ModelName": resolved.aws_name},
             "model created by this run"))
    change = ResourceChange(
        resource.address, "Model", resource.name, [Action.CREATE], reason,
        diff(before, _desired_spec(spec), "", secret) if before is not None
        else diff(None, _desired_spec(spec), "", secret),
        [step], {"summary": summary, "aws_name": resolved.aws_name,
                 "resolved_packages": resolved.packages},
        fingerprint=digest({"exists": False, "previous": sorted(r.arn for r in previous)}),
        waits=resolved.waits, spec_path=ctx.spec_path(resource))
    return change, []


DELETED_MODEL = ("not reversible: SageMaker cannot restore a deleted model, and its spec left "
                 "the specs")
RENAMED = ("renamed: digests covering environment values are now keyed (the content is "
           "unchanged)")


def _renamed_by_keying(resource: Resource, ctx: PlanContext, resolved: Resolved,
                       described: list[dict[str, Any]]) -> bool:
    """Whether a live version carries the plain-hash name of exactly this request: made by a
    sagectl that did not key digests, so the new name is the only change."""
    if not has_environment(resolved.request):
        return False
    plain = content_name(resource.name, ctx.env, resolved.request)
    return any(d["ModelName"] == plain for d in described)


def plan(ctx: PlanContext, desired: list[Resource]) -> KindPlan:
    result = KindPlan()
    for change, problems in ctx.aws.map(lambda r: plan_one(ctx, r), desired):
        result.problems += problems
        if change is None:
            result.unchanged += 1 if not problems else 0
        else:
            result.changes.append(change)
    return result


def orphans(owned: list[OwnedResource]) -> list[Orphan]:
    """Model specs that left the specs: one per address, with all of its versions."""
    by_address: dict[str, list[OwnedResource]] = {}
    for r in owned:
        by_address.setdefault(r.address or r.name, []).append(r)
    return [Orphan(address, address.split(".", 1)[1], tuple(versions), address,
                   f"its models ({', '.join(sorted(v.name for v in versions))}) are left alone")
            for address, versions in sorted(by_address.items())]


def delete(orphan: Orphan) -> ResourceChange:
    """Deletes the versions no endpoint config of this environment still uses (checked again by
    apply)."""
    address = orphan.address
    names = sorted(v.name for v in orphan.owned)
    steps = [Step("sagemaker:DeleteModel", n, {"ModelName": n},
                  note="skipped if an endpoint config still uses it").not_undone(DELETED_MODEL)
             for n in names]
    return ResourceChange(
        address, "Model", address.split(".", 1)[1], [Action.DELETE], Common.NOT_IN_SPEC, [], steps,
        {"summary": [f"deletes model version(s) {', '.join(names)} unless an endpoint "
                     "config still uses them"]},
        fingerprint=digest(names))
