"""The plan for a terminal: markers, field-level diffs, consequences in plain words."""

from __future__ import annotations

from reconciler.plan.model import Plan, ResourceChange
from reconciler.plan.order import marker
from reconciler.plan.render import header, notes, pair, parts, summary_line


def _diff_lines(change: ResourceChange, limit: int) -> list[str]:
    lines = []
    for entry in change.diff[:limit]:
        if entry.before is None:
            lines += [f"      + {p} = {t}" for p, t in parts(entry.path, entry.after)]
        elif entry.after is None:
            lines += [f"      - {p} = {t}" for p, t in parts(entry.path, entry.before)]
        else:
            before, after = pair(entry.before, entry.after, 60)
            lines.append(f"      ~ {entry.path}: {before} -> {after}")
    if len(change.diff) > limit:
        lines.append(f"      ... and {len(change.diff) - limit} more field(s) (see --format json)")
    return lines


def render_change(change: ResourceChange, diff_limit: int = 25) -> list[str]:
    actions = "/".join(change.actions)
    lines = [f"  {marker(change)} {change.address}  ({actions}: {change.action_reason})"]
    if change.waits:
        lines.append(f"      WAITS: {change.waits}")
    for line in change.consequences.get("summary", []):
        lines.append(f"      # {line}")
    lines += _diff_lines(change, diff_limit)
    ops = [f"{s.op} {s.target}" if s.target else s.op for s in change.steps]
    if ops:
        lines.append("      steps: " + " -> ".join(ops))
    return lines


def render(plan: Plan) -> str:
    out = [f"sagectl plan: {header(plan)}", ""]
    out += [f"Note: {n}" for n in notes(plan)] + ([""] if notes(plan) else [])
    for change in plan.resource_changes:
        out += render_change(change)
        out.append("")
    if plan.problems:
        out.append("Problems:")
        for p in plan.problems:
            hint = f" (hint: {p.hint})" if p.hint else ""
            out.append(f"  {p.severity}: {p.address}: {p.message}{hint}")
        out.append("")
    if plan.unchanged:
        out.append(f"{plan.unchanged} resource(s) unchanged.")
    out.append(summary_line(plan))
    return "\n".join(out) + "\n"
