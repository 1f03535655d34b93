"""Which deployment guardrails SageMaker actually runs for an update (sagemaker-rules.md rule 18).

AWS, developer guide, "Exclusions" (deployment-guardrails-exclusions.html): "If your endpoint uses
any of the following features, you cannot use deployment guardrails on your endpoint, and your
endpoint will fall back to using a blue/green deployment with all at once traffic shifting and no
final baking period: Marketplace containers; Endpoints that use Inf1 (Inferentia-based)
instances". And deployment-guardrails.html: "Deployment guardrails only apply to Asynchronous
inference and Real-time inference endpoint types."

So an update of such an endpoint is accepted whatever its DeploymentConfig says, and runs all at
once: the new fleet is provisioned, all traffic shifts, the old fleet is terminated; no baking
period (neither WaitIntervalInSeconds nor TerminationWaitInSeconds) and no alarm is watched.

Undocumented, and the choices made here:
- serverless endpoints: AWS documents only that guardrails do not apply to them; the emulator
  treats a blue/green DeploymentConfig on one like the documented exclusions (the fallback), and
  keeps refusing a rolling policy (``validate.check_deployment``: the rolling page says such an
  endpoint "cannot use rolling deployments");
- a "Marketplace container" has no definition in the API: the emulator counts a model whose
  container names a model package that has a Marketplace ``ProductId`` (the only Marketplace field
  the API has, ModelPackageContainerDefinition.ProductId);
- an endpoint "uses" Inf1 when the config it runs or the one it is updated to has an ml.inf1
  variant (production or shadow).
"""

from __future__ import annotations

from typing import Any

from sagemaker_emulator.sagemaker import pools
from sagemaker_emulator.sagemaker.store import EndpointConfig, Hosting

Params = dict[str, Any]
ALL_AT_ONCE = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
    "Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}, "TerminationWaitInSeconds": 0}}


def _marketplace_package(store: Hosting, name: str) -> bool:
    from moto.sagemaker.models import sagemaker_backends

    account, region = store.account, store.region
    if name.startswith("arn:"):
        parts = name.split(":")
        region, account = parts[3], parts[4]
    backend = sagemaker_backends[account][region]
    key = (name.split("/", 1)[1] if name.startswith("arn:") else name).lower()
    for package in backend.model_packages.values():
        if key in (package.arn.split("/", 1)[1].lower(), package.model_package_name.lower()):
            containers = (package.inference_specification or {}).get("Containers") or []
            return any(c.get("ProductId") for c in containers)
    return False


def _uses_marketplace(store: Hosting, cfg: EndpointConfig) -> bool:
    for variant in cfg.variants + cfg.shadow_variants:
        model = store.models.get(variant.get("ModelName", ""))
        if model is None:
            continue
        containers = ([model.request["PrimaryContainer"]] if model.request.get("PrimaryContainer")
                      else []) + list(model.request.get("Containers") or [])
        if any(c.get("ModelPackageName") and _marketplace_package(store, c["ModelPackageName"])
               for c in containers):
            return True
    return False


def exclusion(store: Hosting, configs: list[EndpointConfig | None]) -> str | None:
    """Why guardrails do not apply to an endpoint running (or going to) ``configs``; None if
    they do."""
    present = [c for c in configs if c is not None]
    # An instance pool of Inf1 type may provision Inf1 instances: the endpoint is treated as
    # using them (AWS documents the exclusion for Inf1, not for pools; rule 54).
    if any(t.startswith("ml.inf1.") for c in present for v in c.variants + c.shadow_variants
           for t in pools.config_types(v)):
        return "Inf1 instances"
    if any(_uses_marketplace(store, c) for c in present):
        return "Marketplace containers"
    if any(v.get("ServerlessConfig") for c in present for v in c.variants):
        return "serverless endpoint"
    return None


def guarded(deployment: Params | None) -> bool:
    """Whether ``deployment`` asks for more than the plain all-at-once default."""
    if not deployment:
        return False
    if deployment.get("RollingUpdatePolicy"):
        return True
    bg = deployment.get("BlueGreenUpdatePolicy") or {}
    routing = bg.get("TrafficRoutingConfiguration") or {}
    return bool(routing.get("Type") not in (None, "ALL_AT_ONCE")
                or routing.get("WaitIntervalInSeconds") or bg.get("TerminationWaitInSeconds")
                or (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms"))
