"""Views of a plan. Each renders FROM the plan data; none reads AWS or the specs."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan.model import Plan

MAX_VALUE = 120


def value(v: Any, limit: int = MAX_VALUE) -> str:
    """A value as a reviewer reads it: JSON, shortened when long."""
    text = json.dumps(v, sort_keys=False, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_line(plan: Plan) -> str:
    if not plan.resource_changes:
        return "No changes."
    s = plan.summary()
    line = (f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
            f"{s['delete']} to delete.")
    if s["waiting"]:
        line += f" ({s['waiting']} waiting: see below)"
    return line


def header(plan: Plan) -> str:
    where = ", ".join(x for x in (f"account {plan.account}" if plan.account else "",
                                  plan.region) if x)
    commit = plan.git_commit[:12] if plan.git_commit else "unknown"
    env = plan.env or "(no environment)"
    return f"environment {env} ({where}), commit {commit}"
