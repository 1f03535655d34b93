"""Model Monitor state of one account and region: job definitions, schedules, executions.

moto 5.2.5 has three of the four job definition kinds (no model quality) and no monitoring
schedules at all, so the emulator keeps all of them itself, on moto's SageMaker backend object
(moto's reset clears them), like ``store.Hosting``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.sagemaker.models import sagemaker_backends

Params = dict[str, Any]

TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
"""MonitoringType values; each is also the prefix of its definition's request members."""

ARN_KINDS = {"DataQuality": "data-quality-job-definition",
             "ModelQuality": "model-quality-job-definition",
             "ModelBias": "model-bias-job-definition",
             "ModelExplainability": "model-explainability-job-definition"}


def when(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


@dataclass
class JobDefinition:
    name: str
    arn: str
    type: str
    created: float
    request: Params
    """The Create request, minus name and tags (returned as is by Describe)."""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str | None:
        job_input = self.request.get(f"{self.type}JobInput") or {}
        return (job_input.get("EndpointInput") or {}).get("EndpointName")


@dataclass
class Execution:
    schedule: str
    endpoint: str | None
    definition: str | None
    type: str
    scheduled: float
    end: float
    processing_job_arn: str
    outcome: str = "Completed"
    """Completed, CompletedWithViolations or Failed: the status from ``end`` on."""
    failure: str | None = None

    def status_at(self, t: float) -> tuple[str, float]:
        return (self.outcome, self.end) if t >= self.end else ("InProgress", self.scheduled)


@dataclass
class Schedule:
    name: str
    arn: str
    created: float
    modified: float
    config: Params
    type: str
    endpoint: str | None
    definition: str | None
    tags: dict[str, str] = field(default_factory=dict)
    stopped: bool = False
    scheduled_from: float = 0.0
    """When it is (or was) Scheduled: Pending before that (after CreateMonitoringSchedule)."""
    checked_until: float = 0.0
    """Runs due up to this simulated time have been started."""
    now_ran: bool = False

    def status_at(self, t: float) -> str:
        if self.stopped:
            return "Stopped"
        return "Scheduled" if t >= self.scheduled_from else "Pending"


class Monitoring:
    def __init__(self, account: str, region: str) -> None:
        self.account = account
        self.region = region
        self.definitions: dict[str, dict[str, JobDefinition]] = {t: {} for t in TYPES}
        self.schedules: dict[str, Schedule] = {}
        self.executions: list[Execution] = []
        """Every execution, kept after its schedule is deleted (DeleteMonitoringSchedule)."""
        self.lock = threading.RLock()

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:{kind}/{name.lower()}"

    def definition(self, type_: str, name: Any) -> JobDefinition | None:
        return self.definitions[type_].get(name) if isinstance(name, str) else None


def monitoring(account: str, region: str) -> Monitoring:
    backend = sagemaker_backends[account][region]
    store = getattr(backend, "_sagectl_monitoring", None)
    if store is None:
        store = Monitoring(account, region)
        backend._sagectl_monitoring = store
    return store
