"""Endpoints on which SageMaker runs no deployment guardrails (sagemaker-rules.md rule 18).

AWS, "Exclusions" (deployment-guardrails-exclusions.html): an endpoint that uses Marketplace
containers or Inf1 (Inferentia 1) instances "cannot use deployment guardrails ... and will fall
back to using a blue/green deployment with all at once traffic shifting and no final baking
period"; and (deployment-guardrails.html) "Deployment guardrails only apply to Asynchronous
inference and Real-time inference endpoint types", so not to serverless endpoints. A canary,
linear or rolling policy on such an endpoint would make the plan promise a guardrail AWS skips,
so it is an error; ``ALL_AT_ONCE`` without waits is what AWS does, and is accepted.

Inf1 and serverless are known offline. Whether a container is a Marketplace product is known
only by reading its model package (``ProductId``, the API's only Marketplace field): the Model
kind reads it at plan time and the plan reports the exclusion there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from reconciler.contract import Issue
from reconciler.kinds.endpoint.deployment import DeploymentConfig
from reconciler.kinds.endpoint.instance_types import is_inf1
from reconciler.kinds.endpoint.variants import ProductionVariant
from reconciler.spec.nodes import Path

EXCLUSIONS_PAGE = ("https://docs.aws.amazon.com/sagemaker/latest/dg/"
                   "deployment-guardrails-exclusions.html")
ENDPOINT_TYPES_PAGE = "https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails.html"


@dataclass(frozen=True)
class Exclusion:
    label: str
    """Short: ``Inf1``, ``serverless``, ``Marketplace container``."""
    why: str
    """Which part of the endpoint causes it, in plain words."""
    page: str


def exclusion(variants: Iterable[ProductionVariant],
              marketplace: dict[str, str] | None = None) -> Exclusion | None:
    """Why SageMaker runs no guardrails for an endpoint with these (production and shadow)
    variants; ``marketplace`` maps model names to the Marketplace package they use."""
    variants = list(variants)
    for v in variants:
        # a pool of Inf1 type may provision Inf1 instances: treated as running on them
        for itype in v.instance_types:
            if is_inf1(itype):
                via = " (one of its instance pools)" if v.instance_pools else ""
                return Exclusion("Inf1", f"variant {v.variant_name!r} runs on {itype} "
                                         f"(Inf1){via}", EXCLUSIONS_PAGE)
    for v in variants:
        for ref in v.model_refs:
            if marketplace and ref in marketplace:
                return Exclusion("Marketplace container",
                                 f"variant {v.variant_name!r} uses model {ref!r}, a "
                                 f"Marketplace product ({marketplace[ref]})", EXCLUSIONS_PAGE)
    for v in variants:
        if v.is_serverless:
            return Exclusion("serverless", f"variant {v.variant_name!r} is serverless",
                             ENDPOINT_TYPES_PAGE)
    return None


def guarded_fields(cfg: DeploymentConfig) -> list[tuple[Path, str]]:
    """The parts of ``cfg`` that ask for a guardrail: (relative path, what it asks)."""
    found: list[tuple[Path, str]] = []
    bg, rolling = cfg.blue_green_update_policy, cfg.rolling_update_policy
    if rolling is not None:
        found.append((("rollingUpdatePolicy",), "a rolling deployment"))
    if bg is not None:
        routing = bg.traffic_routing_configuration
        r_at = ("blueGreenUpdatePolicy", "trafficRoutingConfiguration")
        if routing.type != "ALL_AT_ONCE":
            found.append(((*r_at, "type"), f"{routing.type} traffic shifting"))
        if routing.wait_interval_in_seconds:
            found.append(((*r_at, "waitIntervalInSeconds"),
                          f"a baking period of {routing.wait_interval_in_seconds} s"))
        if bg.termination_wait_in_seconds:
            found.append((("blueGreenUpdatePolicy", "terminationWaitInSeconds"),
                          f"a final baking period of {bg.termination_wait_in_seconds} s"))
    return found


def check(cfg: DeploymentConfig, excluded: Exclusion, at: Path,
          rolling_reported: bool) -> Iterator[Issue]:
    """Errors for every guardrail ``cfg`` asks for that AWS will not run; a warning for rollback
    alarms SageMaker will not watch (sagectl's own bake still does)."""
    for rel, what in guarded_fields(cfg):
        if rel == ("rollingUpdatePolicy",) and rolling_reported:
            continue  # already an error of its own (rolling on serverless/multi-variant)
        yield Issue((*at, *rel), f"{what} cannot run on this endpoint: {excluded.why}; AWS "
                                 "runs no deployment guardrails there and deploys all at once "
                                 f"with no baking period ({excluded.page}). Write type "
                                 "ALL_AT_ONCE with no waits to accept that (sagectl's `bake` "
                                 "still watches the alarms after the deploy)")
    if cfg.auto_rollback_configuration is not None:
        yield Issue((*at, "autoRollbackConfiguration"),
                    f"SageMaker does not watch these alarms during a deploy of this endpoint "
                    f"({excluded.why}: no deployment guardrails, {excluded.page}); only "
                    "sagectl's bake watches them, after the deploy", "warning")


def strategy(excluded: Exclusion) -> str:
    """The plan's strategy line for an endpoint AWS deploys without guardrails."""
    return f"blue/green all at once, no baking (AWS exclusion: {excluded.label})"
