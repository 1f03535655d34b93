"""SageMaker inference components served by the emulator (moto has none): Create, Describe,
List, Update, UpdateRuntimeConfig and Delete, with statuses on the simulated clock
(``component_lifecycle.py``) and copies placed on the variant's instances (``capacity.py``).
The rules and their sources: docs/sagemaker-rules.md, rules 28-39."""

from __future__ import annotations

import copy
from typing import Any

from sagemaker_emulator import cloudwatch
from sagemaker_emulator.cloudwatch import alarm_states
from sagemaker_emulator.dispatch import CallContext, handler, validation
from sagemaker_emulator.paging import with_token
from sagemaker_emulator.sagemaker import capacity, component_lifecycle, lifecycle, validate
from sagemaker_emulator.sagemaker.api import SM, get_model, listing, request_tags, store_of
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
    """The copies the components on a variant hold now, oldest component first."""
    found = sorted((c for c in store.components.values()
                    if c.endpoint_name == endpoint and c.variant_name == variant
                    and c.name != skip and c.base is None and c.current_copies),
                   key=lambda c: (c.created, c.name))
    return [capacity.Demand(c.name, capacity.copy_needs(c.specification), c.current_copies or 0)
            for c in found]


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
    component_lifecycle.observe(store, ic, lambda c, spec, n: place(store, c, spec, n))


def managed_instance_count(store: Hosting, endpoint: str, v: VariantState) -> int | None:
    """DescribeEndpoint's instance count of a variant under managed instance scaling (None when
    it has none, or hosts no component yet: its InitialInstanceCount then)."""
    if not any(c.endpoint_name == endpoint and c.variant_name == v.name
               for c in store.components.values()):
        return None
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


def _check_copies(runtime: Params | None, adapter: bool) -> int | None:
    if adapter:
        if runtime is not None:
            raise validation("An adapter inference component (BaseInferenceComponentName) has no "
                             "copies of its own: omit RuntimeConfig.")
        return None
    if not runtime or runtime.get("CopyCount") is None:
        raise validation("RuntimeConfig.CopyCount is required.")
    count = runtime["CopyCount"]
    if not isinstance(count, int) or count < 0:
        raise validation(f"CopyCount must be >= 0; got {count}.")
    return count


def check_specification(store: Hosting, spec: Params | None, endpoint: str,
                        name: str) -> None:
    """InferenceComponentSpecification's rules (sagemaker-rules.md rule 30)."""
    if not spec:
        raise validation("Specification is required.")
    base = spec.get("BaseInferenceComponentName")
    container = spec.get("Container")
    if base is not None:
        found = store.components.get(base)
        if found is None:
            raise validate.not_found("inference component",
                                     store.arn("inference-component", base))
        if found.endpoint_name != endpoint:
            raise validation(f"The base inference component {base} is hosted on endpoint "
                             f"{found.endpoint_name}; an adapter must be on the same endpoint "
                             f"({endpoint}).")
        if found.base is not None:
            raise validation(f"The base inference component {base} is itself an adapter.")
        if spec.get("ComputeResourceRequirements"):
            raise validation("An adapter inference component uses the compute resources of its "
                             "base inference component: omit ComputeResourceRequirements.")
        if spec.get("ModelName") or not (container or {}).get("ArtifactUrl"):
            raise validation("An adapter inference component specifies the location of its "
                             "adapter artifacts in Container.ArtifactUrl (and no ModelName).")
        return
    if bool(spec.get("ModelName")) == bool(container):
        raise validation(f"Inference component {name}: specify exactly one of ModelName and "
                         "Container.")
    if spec.get("ModelName"):
        get_model(store, spec["ModelName"])
    if container is not None and not container.get("Image"):
        raise validation("Container.Image is required when the inference component has no "
                         "ModelName.")
    req = spec.get("ComputeResourceRequirements")
    if not req:
        raise validation("ComputeResourceRequirements is required for an inference component "
                         "that is not an adapter.")
    low, high = req.get("MinMemoryRequiredInMb"), req.get("MaxMemoryRequiredInMb")
    if low is not None and high is not None and high < low:
        raise validation(f"MaxMemoryRequiredInMb ({high}) must be >= MinMemoryRequiredInMb "
                         f"({low}).")


def check_deployment(ctx: CallContext, deployment: Params, copies: int) -> None:
    """InferenceComponentDeploymentConfig's limits (sagemaker-rules.md rule 36)."""
    rolling = deployment.get("RollingUpdatePolicy")
    if not rolling:
        raise validation("DeploymentConfig.RollingUpdatePolicy is required.")
    wait = rolling.get("WaitIntervalInSeconds")
    if not isinstance(wait, int) or not 0 <= wait <= validate.WAIT_MAX:
        raise validation("WaitIntervalInSeconds must be between 0 and 3600.")
    timeout = rolling.get("MaximumExecutionTimeoutInSeconds")
    if timeout is not None and not validate.TIMEOUT_RANGE[0] <= timeout <= \
            validate.TIMEOUT_RANGE[1]:
        raise validation("MaximumExecutionTimeoutInSeconds must be between 600 and 28800.")
    for key in ("MaximumBatchSize", "RollbackMaximumBatchSize"):
        size = rolling.get(key)
        if size is None:
            continue
        value = size.get("Value")
        if not isinstance(value, int) or value < 1:
            raise validation(f"{key}.Value must be >= 1.")
        if size.get("Type") == "CAPACITY_PERCENT" and value > 100:
            raise validation(f"{key}.Value is a percentage: at most 100.")
    size = rolling["MaximumBatchSize"]
    percent = size["Value"] if size["Type"] == "CAPACITY_PERCENT" else (
        100.0 * size["Value"] / copies if copies else 100.0)
    if copies and not 5 <= percent <= 50:
        raise validation("MaximumBatchSize must be between 5% and 50% of the copy count of the "
                         f"inference component ({copies}); got {size['Value']} "
                         f"{'%' if size['Type'] == 'CAPACITY_PERCENT' else 'copies'}.")
    alarms = (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    if len(alarms) > 10:
        raise validation("AutoRollbackConfiguration supports at most 10 alarms.")
    existing = alarm_states(ctx.account, ctx.region, [a.get("AlarmName") for a in alarms])
    for alarm in alarms:
        if alarm.get("AlarmName") not in existing:
            raise validation(f"CloudWatch alarm {alarm.get('AlarmName')} does not exist or "
                             "SageMaker is not authorized to describe it "
                             "(cloudwatch:DescribeAlarms).")


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
        check_specification(store, spec, ep.name, name)
        assert spec is not None
        copies = _check_copies(params.get("RuntimeConfig"),
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
        check_specification(store, spec, ic.endpoint_name, ic.name)
        if (spec.get("BaseInferenceComponentName") or None) != ic.base:
            raise validation("BaseInferenceComponentName cannot be changed by an update.")
        runtime = params.get("RuntimeConfig")
        copies = ic.desired_copies if runtime is None and ic.base is None else \
            _check_copies(runtime, ic.base is not None)
        deployment = params.get("DeploymentConfig")
        if deployment:
            check_deployment(ctx, deployment, copies or 0)
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
        copies = _check_copies(params.get("DesiredRuntimeConfig"), False)
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
