"""Alarm evaluation from metric data (placeholder: being implemented)."""

from __future__ import annotations

from typing import Any


def evaluate_alarms(backend: Any, names: list[str]) -> None:
    return None
