"""Application Auto Scaling (placeholder: being implemented)."""

from __future__ import annotations

from typing import Any


def targets_for_endpoint(account: str, region: str, endpoint: str) -> dict[str, Any]:
    """Registered scalable targets of an endpoint's variants, by variant name."""
    return {}
