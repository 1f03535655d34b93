"""What applying an endpoint change takes from the plan besides its steps (``ApplyData``).

The plan's ``consequences`` are for reviewers; the durations, the new config and the instances
by type are shown to them there too, but apply and drift read them only from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.plan.model import ApplyData, ResourceChange


@dataclass
class EndpointApplyData(ApplyData):
    spec_digest: str = ""
    """The spec digest this change deploys (``sagectl:spec-digest``, 32 characters): what a
    rollback quarantines, what the journal and history record, what drift compares."""
    new_config: str | None = None
    """The endpoint config the change creates or deploys (None: it deploys none)."""
    expected_seconds: int | None = None
    """How long the deploy is expected to take (the wait reports progress against it)."""
    worst_case_seconds: int | None = None
    """How long it may take at worst (the wait's deadline is half as long again)."""
    instances_by_type: dict[str, dict[str, int]] = field(default_factory=dict)
    """``{type: {running, new, peak}}`` when the change adds instances (``quota.py``): what a
    refusal for an instance quota says the change needs."""
    quarantined_digest: str | None = None
    """The spec digest in the endpoint's ``sagectl:quarantined-digest`` tag, as the plan read it
    (``quarantine.py``): apply does not deploy that digest again unless forced."""

    @classmethod
    def of(cls, change: ResourceChange) -> EndpointApplyData:
        """The change's apply data (an empty one for a change that has none: a deletion)."""
        data = change.apply_data
        return data if isinstance(data, EndpointApplyData) else cls()
