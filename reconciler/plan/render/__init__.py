"""Views of a plan. Each renders FROM the plan data; none reads AWS or the specs."""

from __future__ import annotations

from reconciler.plan.digest_key import PROVISIONAL
from reconciler.plan.model import Plan
from reconciler.plan.render.values import MAX_VALUE, pair, parts, value

__all__ = ["MAX_VALUE", "header", "notes", "pair", "parts", "summary_line", "value"]

PROVISIONAL_NOTE = (
    "this environment has no digest key yet (the first apply creates it in the state table), "
    "so the names and digests of resources that hold sensitive values (models with environment "
    "values, sensitive pipeline parameters) are provisional here: apply plans again with the "
    "key, and refuses this plan if it was saved")


def notes(plan: Plan) -> list[str]:
    """What a reader must know about the plan as a whole, before its changes."""
    return [PROVISIONAL_NOTE] if plan.digest_key == PROVISIONAL else []


def summary_line(plan: Plan) -> str:
    """The plan's last word. A plan with errors says how many and that apply will refuse it, so
    it never reads ``No changes.`` while something is wrong."""
    s = plan.summary()
    errors = s["errors"]
    refused = f"{errors} error{'' if errors == 1 else 's'}, nothing can be applied."
    if not plan.resource_changes:
        return f"Plan: {refused}" if errors else "No changes."
    line = (f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
            f"{s['delete']} to delete" + (f"; {refused}" if errors else "."))
    if s["waiting"]:
        line += f" ({s['waiting']} waiting: see below)"
    return line


def header(plan: Plan) -> str:
    where = ", ".join(x for x in (f"account {plan.account}" if plan.account else "",
                                  plan.region) if x)
    commit = plan.git_commit[:12] if plan.git_commit else "unknown"
    env = plan.env or "(no environment)"
    return f"environment {env} ({where}), commit {commit}"
