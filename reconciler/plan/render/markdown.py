"""The plan as a pull request comment: the summary first, a table, one collapsible section per
change, a mermaid diagram of the apply order, and a size GitHub accepts (65,536 characters)."""

from __future__ import annotations

from reconciler.plan.model import Plan, ResourceChange
from reconciler.plan.order import marker, mermaid
from reconciler.plan.render import header, pair, parts, summary_line
from reconciler.plan.render import notes as plan_notes

COMMENT_LIMIT = 60_000
"""GitHub's limit is 65,536; leave room for the workflow's own framing."""


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _details(change: ResourceChange) -> str:
    lines = [f"<details><summary><code>{marker(change)} {change.address}</code>: "
             f"{'/'.join(change.actions)} ({change.action_reason})</summary>", ""]
    if change.waits:
        lines += [f"> **Waits:** {change.waits}", ""]
    for line in change.consequences.get("summary", []):
        lines.append(f"- {line}")
    if change.diff:
        lines += ["", "```diff"]
        for entry in change.diff:
            if entry.before is None:
                lines += [f"+ {p} = {t}" for p, t in parts(entry.path, entry.after)]
            elif entry.after is None:
                lines += [f"- {p} = {t}" for p, t in parts(entry.path, entry.before)]
            else:
                before, after = pair(entry.before, entry.after)
                lines += [f"- {entry.path} = {before}", f"+ {entry.path} = {after}"]
        lines.append("```")
    if change.steps:
        lines += ["", "Steps:", ""]
        lines += [f"{i}. `{s.op}` {s.target}" + (f": {s.note}" if s.note else "")
                  for i, s in enumerate(change.steps, 1)]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def render(plan: Plan, limit: int = COMMENT_LIMIT) -> str:
    head = [f"### sagectl plan for `{plan.env or 'default'}`", "", f"**{summary_line(plan)}**", "",
            f"<sub>{header(plan)}</sub>", ""]
    head += [f"> **Note:** {_escape(n)}\n" for n in plan_notes(plan)]
    if plan.problems:
        head += ["**Problems**", ""]
        head += [f"- **{p.severity}** `{p.address}`: {_escape(p.message)}"
                 + (f" _(hint: {_escape(p.hint)})_" if p.hint else "") for p in plan.problems]
        head.append("")
    if plan.resource_changes:
        head += ["| | Resource | Action | Why | Notes |", "|---|---|---|---|---|"]
        for c in plan.resource_changes:
            notes = "waits" if c.waits else ("new fleet" if c.consequences.get(
                "fleet_replacement") else "")
            head.append(f"| `{marker(c)}` | `{c.address}` | {'/'.join(c.actions)} | "
                        f"{c.action_reason} | {notes} |")
        head.append("")
    tail = []
    if plan.resource_changes:
        tail = ["<details><summary>Apply order</summary>", "", "```mermaid",
                mermaid(plan.resource_changes), "```", "", "</details>", ""]
    body: list[str] = []
    used = sum(len(x) + 1 for x in head + tail)
    cut = 0
    for change in plan.resource_changes:
        section = _details(change)
        if used + len(section) > limit - 200:
            cut += 1
            continue
        body.append(section)
        used += len(section) + 1
    if cut:
        body.append(f"_Details of {cut} change(s) were cut to fit a comment; the JSON plan "
                    "(artifact) has all of them._\n")
    return "\n".join(head + body + tail)
