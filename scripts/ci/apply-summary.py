#!/usr/bin/env python3
"""Render ``sagectl apply --json`` output as a markdown job summary.

    apply-summary.py --env dev --rc N apply-dev.log > summary.md

The log holds one JSON event a line (``start``, ``step``, ``status``, ``outcome``,
``rolled_back``, ``failed``, ``summary``; ``plan_errors``, ``refused`` or ``error`` when nothing was
applied, ...) mixed with plain messages (errors, warnings). The
summary says how the apply ended (from the exit code), counts the outcomes, lists every resource's
outcome, the rollbacks and failures, the plain messages, and what to do next.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

ENDINGS = {
    0: ("✅", "applied"),
    1: ("❌", "failed"),
    2: ("❌", "usage error"),
    3: ("❌", "internal error"),
    4: ("↩️", "rolled back"),
    5: ("🚨", "degraded"),
    6: ("⏸️", "not applied (waiting)"),
}
NEXT = {
    1: "The apply failed: see the messages below and the log. Changes that failed were undone "
       "where sagectl could; fix the cause and re-run the workflow (or push a fix). A stale "
       "saved plan (AWS changed after the plan was reviewed) needs a new plan: re-run all jobs.",
    4: "A guardrail tripped and the endpoint was returned to its last good config, verified. That "
       "spec digest is quarantined: fix the specs in a pull request (or re-apply with `--force` "
       "once the cause is understood).",
    5: "AWS left an endpoint `Failed` or `UpdateRollbackFailed`: **a human must act** in the "
       "SageMaker console or CLI before sagectl can continue.",
    6: "Some changes could not start yet (an endpoint busy, a lease held by another run, a "
       "quarantined digest, or a dependency waiting, e.g. a model registry without an approved "
       "version). Re-run this workflow once it clears.",
}
STATUS_ICON = {"applied": "✅", "waiting": "⏸️", "rolled_back": "↩️", "failed": "❌",
               "degraded": "🚨"}
MAX_ROWS = 200
MAX_MESSAGES = 60


def _esc(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def parse(log: str) -> tuple[list[dict[str, Any]], list[str]]:
    events, messages = [], []
    for line in log.splitlines():
        stripped = line.strip()
        if stripped.startswith("{"):
            try:
                record = json.loads(stripped)
            except ValueError:
                record = None
            if isinstance(record, dict) and "event" in record:
                events.append(record)
                continue
        if stripped:
            messages.append(line.rstrip())
    return events, messages


def render(env: str, rc: int, log: str, run_url: str = "", sha: str = "") -> str:
    events, messages = parse(log)
    icon, ending = ENDINGS.get(rc, ("❌", f"exit {rc}"))
    summary = next((e for e in reversed(events) if e["event"] == "summary"), None)
    outcomes = [e for e in events if e["event"] in ("outcome", "resumed")]
    if rc == 0 and summary is None and not outcomes:
        ending = "no changes"
    lines = [f"### sagectl apply `{env}`: {icon} {ending}" + (f" (exit {rc})" if rc else ""), ""]
    where = [f"commit `{sha[:12]}`" if sha else "", f"[run]({run_url})" if run_url else ""]
    if any(where):
        lines += ["<sub>" + " · ".join(w for w in where if w) + "</sub>", ""]
    if summary:
        counts = [f"{summary[k]} {k.replace('_', ' ')}"
                  for k in ("applied", "waiting", "rolled_back", "failed", "degraded")
                  if summary.get(k)]
        if counts:
            lines += ["**Apply: " + ", ".join(counts) + ".**", ""]
    if rc in NEXT:
        lines += [f"> {NEXT[rc]}", ""]
    if outcomes:
        lines += ["| | Resource | Outcome | Detail |", "|---|---|---|---|"]
        for e in outcomes[:MAX_ROWS]:
            status = e.get("status", "")
            detail = e.get("reason") or ("" if e.get("message") == status else e.get("message"))
            lines.append(f"| {STATUS_ICON.get(status, '•')} | `{_esc(e.get('address'))}` | "
                         f"{_esc(status)} | {_esc(detail or '')} |")
        if len(outcomes) > MAX_ROWS:
            lines.append(f"| | … {len(outcomes) - MAX_ROWS} more | | |")
        lines.append("")
    for e in events:  # why nothing was applied: the plan's errors, a refused saved plan
        if e["event"] == "plan_errors":
            lines += [f"**{_esc(e.get('message'))}**", ""]
            lines += [f"- `{_esc(x.get('address'))}`: {_esc(x.get('message'))}"
                      + (f" ({_esc(x.get('hint'))})" if x.get("hint") else "")
                      for x in (e.get("errors") or [])[:MAX_ROWS]]
            lines.append("")
        elif e["event"] == "refused":
            lines += [f"**{_esc(e.get('message'))}**", ""]
            lines += [f"- `{_esc(x.get('address'))}`: {_esc(x.get('why'))}"
                      for x in (e.get("problems") or [])[:MAX_ROWS]]
            lines.append("")
        elif e["event"] == "error":
            lines += [f"**{_esc(e.get('message'))}**", ""]
    trouble = [e for e in events if e["event"] in ("rolled_back", "failed", "rollback", "undo")]
    if trouble:
        lines += ["**Rollbacks and failures**", ""]
        lines += [f"- `{_esc(e.get('address'))}`: {_esc(e.get('message') or e['event'])}"
                  for e in trouble[:MAX_ROWS]]
        lines.append("")
    if messages:
        shown = messages[-MAX_MESSAGES:]
        text = "\n".join(shown)
        fence = "````" if "```" in text else "```"
        lines += ["<details" + (" open" if rc else "") + "><summary>Messages</summary>", "",
                  f"{fence}text", text, fence, "", "</details>", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="sagectl apply --json output (stdout and stderr)")
    parser.add_argument("--env", required=True)
    parser.add_argument("--rc", type=int, required=True, help="sagectl apply's exit code")
    args = parser.parse_args(argv)
    log = args.log.read_text(encoding="utf-8", errors="replace") if args.log.is_file() else ""
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repo, run = os.environ.get("GITHUB_REPOSITORY"), os.environ.get("GITHUB_RUN_ID")
    run_url = f"{server}/{repo}/actions/runs/{run}" if repo and run else ""
    print(render(args.env, args.rc, log, run_url, os.environ.get("GITHUB_SHA", "")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
