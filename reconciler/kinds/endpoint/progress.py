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
          now: float) -> tuple[str, float | None]:
    """(the phase in words, seconds left in it or None) for a DescribeEndpoint answer."""
    if described is None:
        return "deleted", None
    status = str(described.get("EndpointStatus") or "?")
    if status == "RollingBack":
        return "rolling back", None
    pending = described.get("PendingDeploymentSummary") or {}
    variants = [v for v in pending.get("ProductionVariants") or [] if v.get("VariantStatus")]
    if not variants:
        return {"Creating": "creating endpoint", "Updating": "updating",
                "Deleting": "deleting", "SystemUpdating": "SageMaker system update"
                }.get(status, status), None
    current = variants[0]["VariantStatus"][0]
    said = str(current.get("StatusMessage") or "").strip()
    stage = str(current.get("Status") or "")
    if stage == "Baking":
        name, wait = _wait_interval(deployment)
        started = _epoch(current.get("StartTime"))
        left = started + wait - now if wait is not None and started is not None else None
        if left is not None and left > 0:
            return f"{name} {clock_text(left)} left" + (f" ({said})" if said else ""), left
        return name + (f" ({said})" if said else ""), None
    return f"{status}: {said}" if said else f"{status}: {stage or 'in progress'}", None


def report(actx: Any, name: str, described: dict[str, Any] | None,
           deployment: dict[str, Any] | None, started: float) -> None:
    """A ``progress`` event for endpoint ``name`` from its last DescribeEndpoint answer."""
    now = actx.clock.now()
    said, left = phase(described, deployment, now)
    status = (described or {}).get("EndpointStatus", "gone")
    actx.events.emit("progress", f"Endpoint.{name}", phase=said,
                     seconds_left=None if left is None else int(left + 0.5),
                     elapsed=int(now - started),
                     message=f"{said} (endpoint {name} {status}, waiting "
                             f"{clock_text(now - started)})")
