"""Drift as text (a terminal, a CI log) and as markdown (the body of one issue per environment).
JSON is ``DriftReport.to_dict``."""

from __future__ import annotations

from reconciler.drift.classify import ACTIONABLE, INFORMATIONAL, DriftItem, DriftReport
from reconciler.plan.model import DiffEntry
from reconciler.plan.render import pair

MAX_DIFF_LINES = 12


def _diff_line(d: DiffEntry) -> str:
    live, spec = pair(d.before, d.after)  # long values keep the part that differs
    return f"{d.path}: live {live}, spec {spec}"


def _diff_lines(item: DriftItem) -> list[str]:
    if item.drift_class == "missing":
        return []  # everything would be new: the JSON has the fields
    lines = [_diff_line(d) for d in item.diff[:MAX_DIFF_LINES]]
    if len(item.diff) > MAX_DIFF_LINES:
        lines.append(f"... and {len(item.diff) - MAX_DIFF_LINES} more (see --format json)")
    return lines


def headline(report: DriftReport) -> str:
    counts = report.summary()
    actionable = sum(counts[c] for c in ACTIONABLE)
    info = sum(counts[c] for c in INFORMATIONAL)
    errors = len(report.problems)
    said = f"{errors} error{'' if errors == 1 else 's'}"
    if not report.items:  # never "No drift." while something could not be checked
        concerns = "it concerns" if errors == 1 else "they concern"
        return (f"No drift found, but {said}: what {concerns} could not be checked."
                if errors else "No drift.")
    parts = [f"{counts[c]} {c}" for c in ACTIONABLE + INFORMATIONAL if counts[c]]
    return (f"Drift: {actionable} actionable, {info} informational "
            f"({', '.join(parts)})" + (f"; {said}." if errors else "."))


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
            live, spec = pair(d.before, d.after)
            out += [f"- {d.path} = {live}  (live)", f"+ {d.path} = {spec}  (spec)"]
        if len(item.diff) > MAX_DIFF_LINES:
            out.append(f"# ... and {len(item.diff) - MAX_DIFF_LINES} more")
        out += ["```", "", "</details>", ""]
    if report.problems:
        out += ["Problems:", ""] + [f"- {p}" for p in report.problems] + [""]
    info = ", ".join(f"`{c}`" for c in INFORMATIONAL[:-1]) + f" and `{INFORMATIONAL[-1]}`"
    out += ["`out_of_band` and `missing` are healed by `sagectl drift --heal`; "
            f"`pending`, `failed_deployment` and `unmanaged` need a person; {info} are "
            "information."]
    return "\n".join(out) + "\n"
