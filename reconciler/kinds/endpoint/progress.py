"""What an endpoint wait shows while it waits: the phase of the deployment in flight, read from
the DescribeEndpoint the wait already makes (never an extra call), and the time left where the
deployment config says it (rule 56).

- ``PendingDeploymentSummary`` (API/API_PendingDeploymentSummary.html) is returned "only ...
  when the endpoint is creating or updating with a new endpoint configuration"; each variant's
  ``VariantStatus`` (API/API_ProductionVariantStatus.html) has a ``Status`` (Creating,
  Updating, Deleting, ActivatingTraffic, Baking), a ``StatusMessage`` whose wording AWS does not
  document (shown as it is, never parsed) and the ``StartTime`` "of the current status change".
- ``Baking`` is the "waiting period to monitor the CloudWatch alarms": its length is the
  traffic routing's ``WaitIntervalInSeconds`` (or the rolling policy's), so the time left is
  that interval from the status's ``StartTime``, on the apply's clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.apply.clock import clock_text

WAITS = {"CANARY": "canary wait", "LINEAR": "linear step wait", "ALL_AT_ONCE": "baking"}


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _wait_interval(deployment: dict[str, Any] | None) -> tuple[str, float | None]:
    """(what AWS's Baking period is called for this policy, its length in seconds)."""
    if not deployment:
        return "baking", None
    rolling = deployment.get("RollingUpdatePolicy")
    if rolling:
        wait = rolling.get("WaitIntervalInSeconds")
        return "batch wait", float(wait) if wait is not None else None
    routing = (deployment.get("BlueGreenUpdatePolicy") or {}).get(
        "TrafficRoutingConfiguration") or {}
    wait = routing.get("WaitIntervalInSeconds")
    return WAITS.get(str(routing.get("Type")), "baking"), float(wait) if wait is not None else None


def phase(described: dict[str, Any] | None, deployment: dict[str, Any] | None,
          now: float, first_bake: float | None = None) -> tuple[str, float | None]:
    """(the phase in words, seconds left in it or None) for a DescribeEndpoint answer.

    Only the deployment's first Baking period (the one starting at ``first_bake``: the canary
    wait, a linear policy's first step, a rolling policy's first batch) gets a countdown: AWS
    documents that it lasts ``WaitIntervalInSeconds``, but not how later ones show (whether the
    termination wait, ``TerminationWaitInSeconds`` long, is shown as Baking too). Later ones
    show the time since their ``StartTime``, which is exact."""
    if described is None:
        return "deleted", None
    status = str(described.get("EndpointStatus") or "?")
    if status == "RollingBack":
        return "rolling back", None
    current = _variant_status(described)
    if current is None:
        return {"Creating": "creating endpoint", "Updating": "updating",
                "Deleting": "deleting", "SystemUpdating": "SageMaker system update"
                }.get(status, status), None
    said = str(current.get("StatusMessage") or "").strip()
    stage = str(current.get("Status") or "")
    note = f" ({said})" if said else ""
    if stage == "Baking":
        name, wait = _wait_interval(deployment)
        started = _epoch(current.get("StartTime"))
        if started is None:
            return name + note, None
        if first_bake is None or started <= first_bake:
            left = started + wait - now if wait is not None else None
            if left is not None and left > 0:
                return f"{name} {clock_text(left)} left{note}", left
            return f"{name} over{note}: waiting for the next phase", None
        return f"baking {clock_text(now - started)} so far{note}", None
    return f"{status}: {said}" if said else f"{status}: {stage or 'in progress'}", None


def _variant_status(described: dict[str, Any]) -> dict[str, Any] | None:
    pending = described.get("PendingDeploymentSummary") or {}
    for variant in pending.get("ProductionVariants") or []:
        for current in variant.get("VariantStatus") or []:
            return dict(current)
    return None


class Watch:
    """The progress of one endpoint wait: remembers when the first Baking period began."""

    def __init__(self, actx: Any, name: str, deployment: dict[str, Any] | None) -> None:
        self.actx, self.name, self.deployment = actx, name, deployment
        self.started = actx.clock.now()
        self.first_bake: float | None = None

    def report(self, described: dict[str, Any] | None) -> None:
        """A ``progress`` event from the wait's last DescribeEndpoint answer."""
        current = _variant_status(described or {})
        if current is not None and current.get("Status") == "Baking" and \
                self.first_bake is None:
            self.first_bake = _epoch(current.get("StartTime"))
        now = self.actx.clock.now()
        said, left = phase(described, self.deployment, now, self.first_bake)
        status = (described or {}).get("EndpointStatus", "gone")
        self.actx.events.emit(
            "progress", f"Endpoint.{self.name}", phase=said,
            seconds_left=None if left is None else int(left + 0.5),
            elapsed=int(now - self.started),
            message=f"{said} (endpoint {self.name} {status}, waiting "
                    f"{clock_text(now - self.started)})")
