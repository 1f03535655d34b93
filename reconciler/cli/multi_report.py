"""One report for several environments, rendered from each environment's JSON (a plan, or a
drift report) as its own ``sagectl`` process printed it:

- text: each environment's section in the tree's order, then one line per environment;
- markdown (one pull request comment): a summary table, then each environment's plan (or drift
  report) in a collapsed section, the whole within GitHub's comment size;
- JSON: ``{"environments": {name: <that environment's JSON, or {"error", "exit_code"}>}}``.

An environment whose process failed without a report shows its exit code and the end of its
stderr: its error, never the run's."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.cli.multi import Child

COMMENT_LIMIT = 60_000
"""As ``reconciler.plan.render.markdown``: GitHub takes 65,536 characters, leave room."""
ERROR_TAIL = 2_000


def _data(child: Child) -> dict[str, Any] | None:
    try:
        data = json.loads(child.out)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _error(child: Child) -> str:
    tail = child.err.strip()[-ERROR_TAIL:] or "(no output)"
    return f"failed (exit {child.code}): {tail}"


def _plan(data: dict[str, Any]) -> Any:
    from reconciler.cli.registry import KINDS
    from reconciler.plan.saved import plan_from_dict

    return plan_from_dict(data, KINDS)


def _drift(data: dict[str, Any]) -> Any:
    """The drift report its renderers need (they read the plan's environment, account,
    region and commit only)."""
    from reconciler.drift.classify import DriftItem, DriftReport
    from reconciler.plan.model import DiffEntry, Plan

    plan = Plan(env=data.get("env"), spec_digest="", git_commit=data.get("git_commit") or "",
                region=data.get("region") or "", account=data.get("account"))
    items = [DriftItem(i["address"], i["kind"], i["name"], i["class"], i["reason"],
                       [DiffEntry(d["path"], d["live"], d["spec"]) for d in i.get("diff", [])])
             for i in data.get("drift", [])]
    return DriftReport(plan, items, list(data.get("problems", [])))


def _views(command: str, data: dict[str, Any], limit: int) -> tuple[str, str, str]:
    """(text, markdown within ``limit`` characters where it can be cut, one-line summary) of
    one environment's report."""
    if command == "plan":
        from reconciler.plan.render import markdown, summary_line, text

        plan = _plan(data)
        # the summary closes the combined report: its waits are in the sections above
        line = summary_line(plan).replace(" waiting: see below)", " waiting)")
        return text.render(plan), markdown.render(plan, limit), line
    from reconciler.drift import render

    report = _drift(data)
    return render.text(report), render.markdown(report), render.headline(report)


def _sections(command: str, children: list[Child], limit: int = COMMENT_LIMIT
              ) -> list[tuple[Child, str, str, str]]:
    """(child, text, markdown, summary) per environment; an unreadable report is an error."""
    out = []
    for child in children:
        data = _data(child)
        if data is None:
            said = _error(child)
            out.append((child, said, f"```text\n{said}\n```", f"error (exit {child.code})"))
            continue
        try:
            out.append((child, *_views(command, data, limit)))
        except (ValueError, KeyError, TypeError) as err:
            said = f"its report could not be read: {err}"
            out.append((child, said, said, f"error (exit {child.code})"))
    return out


def render(command: str, children: list[Child], fmt: str, limit: int = COMMENT_LIMIT) -> str:
    """The combined report; markdown within ``limit`` characters: each environment gets an
    equal share, its plan's change details cut first (as one plan comment cuts them), and an
    environment whose section still does not fit says so (the JSON has everything)."""
    if fmt == "json":
        return json.dumps({"environments": {
            c.env: _data(c) or {"error": _error(c), "exit_code": c.code} for c in children}},
            indent=2) + "\n"
    if fmt == "markdown":
        share = (limit - 200 * (len(children) + 1)) // max(1, len(children))
        return _markdown(command, _sections(command, children, share - 300), share)
    sections = _sections(command, children)
    out: list[str] = []
    for child, text, _, _ in sections:
        out += [f"=== environment {child.env} ===", "", text.rstrip("\n"), ""]
    width = max(len(c.env) for c in children)
    out += [f"{command.capitalize()} of {len(children)} environments:"]
    out += [f"  {child.env:{width}}  {summary}" for child, _, _, summary in sections]
    return "\n".join(out) + "\n"


def _markdown(command: str, sections: list[tuple[Child, str, str, str]], share: int) -> str:
    head = [f"### sagectl {command}: {len(sections)} environments", "",
            "| Environment | Result |", "|---|---|"]
    head += [f"| `{child.env}` | {summary.replace('|', '/')} |"
             for child, _, _, summary in sections]
    head.append("")
    body = []
    for child, _, md, summary in sections:
        section = (f"<details><summary><code>{child.env}</code>: {summary}</summary>\n\n"
                   f"{md.rstrip()}\n\n</details>\n")
        if len(section) > share:  # keep every environment visible; the JSON has everything
            section = (f"<details><summary><code>{child.env}</code>: {summary}</summary>\n\n"
                       f"_Too long for one comment shared by {len(sections)} environments: "
                       "see the JSON report._\n\n</details>\n")
        body.append(section)
    return "\n".join(head + body)
