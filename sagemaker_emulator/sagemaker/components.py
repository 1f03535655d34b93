"""SageMaker inference components served by the emulator (moto has none): Create, Describe,
List, Update, UpdateRuntimeConfig and Delete, with statuses on the simulated clock
(``component_lifecycle.py``) and copies placed on the variant's instances (``capacity.py``).
The rules and their sources: docs/sagemaker-rules.md, rules 28-39 and 53."""

from __future__ import annotations

import copy
from typing import Any

from sagemaker_emulator import cloudwatch
from sagemaker_emulator.dispatch import CallContext, handler, validation
from sagemaker_emulator.paging import with_token
from sagemaker_emulator.sagemaker import capacity, component_lifecycle, lifecycle, validate
from sagemaker_emulator.sagemaker import component_rules as rules
from sagemaker_emulator.sagemaker.api import SM, listing, request_tags, store_of
from sagemaker_emulator.sagemaker.store import Hosting, InferenceComponent, VariantState, hosting
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
COMPONENT_UPDATE = "component_update"
"""The key of an injected component update fault (``Emulator.fail_next_component_update``)."""


def settle(account: str, region: str) -> None:
    """Observe every component of an account and region (called around alarm changes)."""
    store = hosting(account, region)
    with store.lock:
        for ic in list(store.components.values()):
            observe(store, ic)


if settle not in cloudwatch.LISTENERS:
    cloudwatch.LISTENERS.append(settle)


# -- placement --------------------------------------------------------------------------------

def _variant(store: Hosting, ic: InferenceComponent) -> VariantState | None:
    ep = store.endpoints.get(ic.endpoint_name)
    return ep.variant(ic.variant_name) if ep is not None else None


def demands(store: Hosting, endpoint: str, variant: str, skip: str | None = None
            ) -> list[capacity.Demand]:
    """The copies the components on a variant hold now, oldest component first; a component in a
    rolling update or rollback holds its old and new specification's copies side by side
    (``component_lifecycle.holding``, rule 53)."""
    found = sorted((c for c in store.components.values()
                    if c.endpoint_name == endpoint and c.variant_name == variant
                    and c.name != skip and c.base is None and c.current_copies),
                   key=lambda c: (c.created, c.name))
    out = []
    for c in found:
        op = c.operation
        if op is not None and op.kind in ("update", "rollback") and op.fault is None:
            out += _side_by_side(c, op, STATE.clock.now())
        else:
            out.append(capacity.Demand(c.name, capacity.copy_needs(c.specification),
                                       c.current_copies or 0))
    return out


def _side_by_side(ic: InferenceComponent, op: Any, t: float) -> list[capacity.Demand]:
    old, new = component_lifecycle.holding(op, t)
    old_spec = op.specification if op.kind == "rollback" else ic.specification
    new_spec = op.leaving if op.kind == "rollback" else op.specification
    return [capacity.Demand(ic.name, capacity.copy_needs(old_spec or {}), old),
            capacity.Demand(f"{ic.name} (new specification)",
                            capacity.copy_needs(new_spec or {}), new)]


def room(store: Hosting, ic: InferenceComponent, op: Any, t: float) -> str:
    """Why the copies ``op`` holds at ``t`` (old and new specification side by side) do not all
    fit next to the other components' copies on the variant ("" when they do)."""
    if ic.base is not None or not op.copies:
        return ""
    v = _variant(store, ic)
    if v is None:
        return f"The variant {ic.variant_name} of endpoint {ic.endpoint_name} is gone."
    mine = _side_by_side(ic, op, t)
    wanted = demands(store, ic.endpoint_name, v.name, skip=ic.name) + mine
    placed = capacity.place(wanted, capacity.instance_resources(v.instance_type or ""),
                            capacity.instance_limit(v))
    short = next((d for d in mine if placed.pending(d)), None)
    if short is None:
        return ""
    return capacity.explain_side_by_side(mine, placed, v.instance_type)


def placement(store: Hosting, endpoint: str, v: VariantState,
              extra: capacity.Demand | None = None, skip: str | None = None
              ) -> capacity.Placement:
    wanted = demands(store, endpoint, v.name, skip) + ([extra] if extra else [])
    per = capacity.instance_resources(v.instance_type or "")
    return capacity.place(wanted, per, capacity.instance_limit(v))


def place(store: Hosting, ic: InferenceComponent, spec: Params, copies: int | None
          ) -> tuple[int | None, str]:
    """Copies of ``ic`` that fit with ``spec`` and ``copies`` next to the other components'
    copies, and why not all of them do ("" when they do)."""
    if copies is None or spec.get("BaseInferenceComponentName"):
        return copies, ""
    v = _variant(store, ic)
    if v is None:
        return 0, f"The variant {ic.variant_name} of endpoint {ic.endpoint_name} is gone."
    demand = capacity.Demand(ic.name, capacity.copy_needs(spec), copies)
    placed = placement(store, ic.endpoint_name, v, demand, skip=ic.name)
    if placed.pending(demand) == 0:
        return copies, ""
    return placed.placed[ic.name], capacity.explain(demand, placed, v.instance_type)


def observe(store: Hosting, ic: InferenceComponent) -> None:
    component_lifecycle.observe(store, ic, lambda c, spec, n: place(store, c, spec, n),
                                lambda c, op, t: room(store, c, op, t))


def managed_instance_count(store: Hosting, endpoint: str, v: VariantState) -> int | None:
    """DescribeEndpoint's instance count of a variant under managed instance scaling (None when
    it has none, or hosts no component yet: its InitialInstanceCount then)."""
    mine = [c for c in store.components.values()
            if c.endpoint_name == endpoint and c.variant_name == v.name]
    if not mine:
        return None
    for c in mine:
        observe(store, c)
    return capacity.managed_count(v, placement(store, endpoint, v))


# -- validation -------------------------------------------------------------------------------

def _get(store: Hosting, name: Any) -> InferenceComponent:
    ic = store.components.get(name) if isinstance(name, str) else None
    if ic is not None:
        observe(store, ic)
        ic = store.components.get(name)
    if ic is None:
        raise validate.not_found("inference component",
                                 store.arn("inference-component", str(name)))
    return ic


def _refuse_busy(ic: InferenceComponent) -> None:
    if ic.status in ("Creating", "Updating", "Deleting"):
        raise validation(f'Cannot update in-progress inference component "{ic.arn}".')
    if ic.status == "Failed":
        raise validation(f'Cannot update failed inference component "{ic.arn}".')


# -- operations -------------------------------------------------------------------------------

@handler(SM, "CreateInferenceComponent")
def create_inference_component(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    name = validate.check_name(params.get("InferenceComponentName"), "inferenceComponentName")
    arn = store.arn("inference-component", name)
    with store.lock:
        for existing in [c for c in store.components.values() if c.name.lower() == name.lower()]:
            observe(store, existing)
        if any(n.lower() == name.lower() for n in store.components):
            raise validate.already_exists("inference component", arn)
        if params.get("Specifications"):
            raise validation("The emulator does not model Specifications (one specification per "
                             "instance type); use Specification.")
        endpoint_name = params.get("EndpointName")
        ep = store.endpoints.get(endpoint_name) if isinstance(endpoint_name, str) else None
        if ep is not None:
            lifecycle.observe(store, ep)
            ep = store.endpoints.get(endpoint_name)
        if ep is None:
            raise validate.not_found("endpoint", store.arn("endpoint", str(endpoint_name)))
        if ep.status != "InService":
            raise validation(f'Endpoint "{ep.arn}" is {ep.status}: inference components can be '
                             "created on an InService endpoint only.")
        variants = [v for v in ep.variants if not v.shadow]
        variant_name = params.get("VariantName")
        if variant_name is None and len(variants) == 1:
            variant_name = variants[0].name
        v = ep.variant(variant_name) if isinstance(variant_name, str) else None
        if v is None:
            raise validation(f'The variant "{variant_name}" is not present in endpoint '
                             f'"{ep.arn}".')
        if v.model is not None or v.is_serverless:
            raise validation(f"Variant {v.name} of endpoint {ep.name} hosts the model "
                             f"{v.model or '(serverless)'}: inference components need a variant "
                             "without ModelName.")
        spec = params.get("Specification")
        rules.check_specification(store, spec, ep.name, name)
        assert spec is not None
        copies = rules.check_copies(params.get("RuntimeConfig"),
                               spec.get("BaseInferenceComponentName") is not None)
        now = STATE.clock.datetime()
        ic = InferenceComponent(name, arn, ep.name, v.name, now, now, copy.deepcopy(spec),
                                copies, 0 if copies is not None else None,
                                tags=request_tags(params))
        component_lifecycle.start_create(ic)
        store.components[name] = ic
    return {"InferenceComponentArn": arn}


def _specification_view(spec: Params) -> Params:
    out = copy.deepcopy(spec)
    container = out.pop("Container", None)
    if container is not None:
        image = container.pop("Image", None)
        if image:
            container["DeployedImage"] = {"SpecifiedImage": image, "ResolvedImage": image,
                                          "ResolutionTime": STATE.clock.datetime()}
        out["Container"] = container
    return out


@handler(SM, "DescribeInferenceComponent")
def describe_inference_component(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        ic = _get(store, params.get("InferenceComponentName"))
        ep = store.endpoints.get(ic.endpoint_name)
        out: Params = {
            "InferenceComponentName": ic.name, "InferenceComponentArn": ic.arn,
            "EndpointName": ic.endpoint_name,
            "EndpointArn": ep.arn if ep else store.arn("endpoint", ic.endpoint_name),
            "VariantName": ic.variant_name,
            "Specification": _specification_view(ic.specification),
            "CreationTime": ic.created, "LastModifiedTime": ic.modified,
            "InferenceComponentStatus": ic.status,
        }
        if ic.desired_copies is not None:
            out["RuntimeConfig"] = {"DesiredCopyCount": ic.desired_copies,
                                    "CurrentCopyCount": ic.current_copies or 0}
        if ic.failure_reason:
            out["FailureReason"] = ic.failure_reason
        if ic.last_deployment_config:
            out["LastDeploymentConfig"] = copy.deepcopy(ic.last_deployment_config)
        return out


@handler(SM, "ListInferenceComponents")
def list_inference_components(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        for ic in list(store.components.values()):
            observe(store, ic)
        items = [c for c in store.components.values()
                 if params.get("EndpointNameEquals") in (None, c.endpoint_name)
                 and params.get("VariantNameEquals") in (None, c.variant_name)]
        if params.get("LastModifiedTimeAfter") is not None:
            items = [c for c in items
                     if c.modified.timestamp() > params["LastModifiedTimeAfter"]]
        if params.get("LastModifiedTimeBefore") is not None:
            items = [c for c in items
                     if c.modified.timestamp() < params["LastModifiedTimeBefore"]]
        chunk, token = listing(items, params, lambda c: c.name, lambda c: c.created,
                               lambda c: c.status)
        ep_arn = {e.name: e.arn for e in store.endpoints.values()}
        return with_token({"InferenceComponents": [
            {"CreationTime": c.created, "InferenceComponentArn": c.arn,
             "InferenceComponentName": c.name,
             "EndpointArn": ep_arn.get(c.endpoint_name, store.arn("endpoint", c.endpoint_name)),
             "EndpointName": c.endpoint_name, "VariantName": c.variant_name,
             "InferenceComponentStatus": c.status, "LastModifiedTime": c.modified}
            for c in chunk]}, token)


@handler(SM, "UpdateInferenceComponent")
def update_inference_component(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        ic = _get(store, params.get("InferenceComponentName"))
        _refuse_busy(ic)
        if params.get("Specifications"):
            raise validation("The emulator does not model Specifications (one specification per "
                             "instance type); use Specification.")
        spec = params.get("Specification") or ic.specification
        rules.check_specification(store, spec, ic.endpoint_name, ic.name)
        if (spec.get("BaseInferenceComponentName") or None) != ic.base:
            raise validation("BaseInferenceComponentName cannot be changed by an update.")
        runtime = params.get("RuntimeConfig")
        copies = ic.desired_copies if runtime is None and ic.base is None else \
            rules.check_copies(runtime, ic.base is not None)
        deployment = params.get("DeploymentConfig")
        if deployment:
            rules.check_deployment(ctx, deployment, copies or 0)
        ic.last_deployment_config = copy.deepcopy(deployment)
        fault = STATE.faults.take_endpoint_fault(ic.name, COMPONENT_UPDATE)
        component_lifecycle.start_update(ic, spec, copies if copies is not None else 0,
                                         deployment, fault)
        if ic.base is not None:
            assert ic.operation is not None
            ic.operation.copies = None
        ic.modified = STATE.clock.datetime()
        return {"InferenceComponentArn": ic.arn}


@handler(SM, "UpdateInferenceComponentRuntimeConfig")
def update_runtime_config(ctx: CallContext, params: Params) -> Params:
    store = store_of(ctx)
    with store.lock:
        ic = _get(store, params.get("InferenceComponentName"))
        _refuse_busy(ic)
        if ic.base is not None:
            raise validation(f"Inference component {ic.name} is an adapter: it has no copies of "
                             "its own to change.")
        copies = rules.check_copies(params.get("DesiredRuntimeConfig"), False)
        assert copies is not None
        component_lifecycle.start_copies(ic, copies)
        ic.modified = STATE.clock.datetime()
        return {"InferenceComponentArn": ic.arn}


@handler(SM, "DeleteInferenceComponent")
def delete_inference_component(ctx: CallContext, params: Params) -> None:
    store = store_of(ctx)
    with store.lock:
        ic = _get(store, params.get("InferenceComponentName"))
        if ic.status in ("Creating", "Updating", "Deleting"):
            raise validation(f'Cannot delete in-progress inference component "{ic.arn}".')
        adapters = sorted(c.name for c in store.components.values() if c.base == ic.name)
        if adapters:
            raise validation(f"Inference component {ic.name} is the base of adapter inference "
                             f"component(s) {', '.join(adapters)}: delete them first.")
        # Its scalable target stays registered: AWS documents deregistration for DeleteEndpoint
        # (rule 23), not for DeleteInferenceComponent (sagemaker-rules.md rule 38).
        component_lifecycle.start_delete(ic)


def components_on(store: Hosting, endpoint: str) -> list[str]:
    """Names of the components hosted on ``endpoint`` (DeleteEndpoint refuses while any)."""
    found = []
    for ic in list(store.components.values()):
        if ic.endpoint_name == endpoint:
            observe(store, ic)
            if ic.name in store.components:
                found.append(ic.name)
    return sorted(found)


# -- Application Auto Scaling's side ------------------------------------------------------------

def find_component(account: str, region: str, name: str) -> InferenceComponent | None:
    store = hosting(account, region)
    with store.lock:
        ic = store.components.get(name)
        if ic is not None:
            observe(store, ic)
        return store.components.get(name)


def scale_component(account: str, region: str, name: str, copies: int) -> None:
    """What the autoscaler does: the desired copy count moves without an API call of the
    owner's; the copies that fit are placed at once (like ``Hosting.scale_variant``), the rest
    stay pending (sagemaker-rules.md rule 34)."""
    store = hosting(account, region)
    with store.lock:
        ic = store.components.get(name)
        if ic is not None:
            observe(store, ic)
        if ic is None or ic.name not in store.components:
            raise KeyError(f"no inference component {name!r}")
        if ic.base is not None:
            raise ValueError(f"inference component {name!r} is an adapter: it has no copies")
        fitted, reason = place(store, ic, ic.specification, copies)
        ic.desired_copies, ic.current_copies = copies, fitted
        if ic.operation is None:
            ic.failure_reason = reason
        ic.modified = STATE.clock.datetime()


def clamp_copies(account: str, region: str, name: str, low: int, high: int) -> None:
    """RegisterScalableTarget brings the copy count inside [low, high]."""
    ic = find_component(account, region, name)
    if ic is None or ic.desired_copies is None:
        return
    wanted = min(max(ic.desired_copies, low), high)
    if wanted != ic.desired_copies:
        scale_component(account, region, name, wanted)
