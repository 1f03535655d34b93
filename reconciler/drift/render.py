"""Drift as text (a terminal, a CI log) and as markdown (the body of one issue per environment).
JSON is ``DriftReport.to_dict``."""

from __future__ import annotations

import json
from typing import Any

from reconciler.drift.classify import ACTIONABLE, INFORMATIONAL, DriftItem, DriftReport

MAX_DIFF_LINES = 12


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:119] + "…"


def _diff_lines(item: DriftItem) -> list[str]:
    if item.drift_class == "missing":
        return []  # everything would be new: the JSON has the fields
    lines = [f"{d.path}: live {_value(d.before)}, spec {_value(d.after)}"
             for d in item.diff[:MAX_DIFF_LINES]]
    if len(item.diff) > MAX_DIFF_LINES:
        lines.append(f"... and {len(item.diff) - MAX_DIFF_LINES} more (see --format json)")
    return lines


def headline(report: DriftReport) -> str:
    counts = report.summary()
    actionable = sum(counts[c] for c in ACTIONABLE)
    info = sum(counts[c] for c in INFORMATIONAL)
    if not report.items:
        return "No drift."
    parts = [f"{counts[c]} {c}" for c in ACTIONABLE + INFORMATIONAL if counts[c]]
    return (f"Drift: {actionable} actionable, {info} informational "
            f"({', '.join(parts)}).")


def text(report: DriftReport) -> str:
    p = report.plan
    out = [f"sagectl drift: environment {p.env} (account {p.account}, {p.region}), "
           f"commit {p.git_commit[:12]}", ""]
    for item in report.items:
        out.append(f"  {item.drift_class:18} {item.address}: {item.reason}")
        out += [f"      {line}" for line in _diff_lines(item)]
    for problem in report.problems:
        out.append(f"  problem            {problem}")
    if report.items or report.problems:
        out.append("")
    out.append(headline(report))
    return "\n".join(out) + "\n"


def markdown(report: DriftReport) -> str:
    p = report.plan
    out = [f"### sagectl drift for `{p.env}`", "", f"**{headline(report)}**", "",
           f"<sub>environment {p.env} (account {p.account}, {p.region}), commit "
           f"{p.git_commit[:12]}</sub>", ""]
    if report.items:
        out += ["| Class | Resource | Why |", "|---|---|---|"]
        for item in report.items:
            why = item.reason.replace("|", "\\|")
            out.append(f"| `{item.drift_class}` | `{item.address}` | {why} |")
        out.append("")
    for item in report.items:
        if not item.diff or item.drift_class == "missing":
            continue
        out += [f"<details><summary><code>{item.address}</code>: {item.drift_class}</summary>",
                "", "```diff"]
        for d in item.diff[:MAX_DIFF_LINES]:
            out += [f"- {d.path} = {_value(d.before)}  (live)",
                    f"+ {d.path} = {_value(d.after)}  (spec)"]
        if len(item.diff) > MAX_DIFF_LINES:
            out.append(f"# ... and {len(item.diff) - MAX_DIFF_LINES} more")
        out += ["```", "", "</details>", ""]
    if report.problems:
        out += ["Problems:", ""] + [f"- {p}" for p in report.problems] + [""]
    out += ["`out_of_band` and `missing` are healed by `sagectl drift --heal`; "
            "`pending`, `failed_deployment` and `unmanaged` need a person; `autoscaler` and "
            "`system` are information."]
    return "\n".join(out) + "\n"
