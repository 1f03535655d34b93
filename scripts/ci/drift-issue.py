#!/usr/bin/env python3
"""Turn one environment's drift report into the state of its GitHub issue.

    drift-issue.py --env prod --json drift-prod.json [--markdown drift-prod.md] [--rc N]
                   [--out decision.json] [--apply]

Reads ``sagectl drift --format json`` (``{"actionable": bool, "drift": [...], "summary": {...}}``)
and, when given, ``sagectl drift --format markdown`` (the issue body) and the drift command's exit
code with ``--detailed-exitcode`` (0 clean, 2 actionable drift, anything else an error). Prints
the decision as JSON:

    {"env": "prod", "title": "sagectl drift: prod", "labels": ["drift"],
     "state": "open" | "closed", "actionable": true, "body": "<!-- sagectl-drift: prod -->..."}

``state`` is ``open`` when there is actionable drift (open or update the issue) and ``closed``
when there is none (close the issue if one is open). Exit 1 without a decision when the report is
an error (a failed drift run must never close the issue).

``--apply`` carries the decision out on GitHub (GITHUB_TOKEN with issues: write,
GITHUB_REPOSITORY): the environment's issue is the one with the ``drift`` label whose body starts
with ``<!-- sagectl-drift: ENV -->`` (or, failing that, whose title is the title above). Actionable
drift updates the open issue, reopens the most recent closed one, or creates one (and the label);
no actionable drift closes the open issue with a comment. Sets the outputs ``action`` (created,
updated, reopened, closed, none) and ``issue`` (its number) in a workflow.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LABEL = "drift"
LABEL_COLOR = "d93f0b"
MARKER = "<!-- sagectl-drift: {env} -->"
TITLE = "sagectl drift: {env}"
BODY_LIMIT = 65_536
MAX_ITEMS = 200


class ReportError(Exception):
    pass


def _run_url() -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repo, run = os.environ.get("GITHUB_REPOSITORY"), os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{repo}/actions/runs/{run}" if repo and run else ""


def _item_line(item: Any) -> str:
    if not isinstance(item, dict):
        return f"- {json.dumps(item, default=str)[:300]}"
    where = next((str(item[k]) for k in ("address", "resource", "name", "path") if item.get(k)),
                 "")
    what = next((str(item[k]) for k in ("message", "reason", "description", "kind", "type")
                 if item.get(k)), "")
    if not where and not what:
        return f"- `{json.dumps(item, default=str, sort_keys=True)[:300]}`"
    extra = " (actionable)" if item.get("actionable") is True else (
        " (not actionable)" if item.get("actionable") is False else "")
    cls = f" ({item['class']})" if item.get("class") else ""
    return f"- `{where}`{cls}{': ' + what if what else ''}{extra}"


def render_from_json(env: str, report: dict[str, Any]) -> str:
    """A body when sagectl's markdown is not available: the summary and one line per item."""
    lines = [f"### sagectl drift for `{env}`", ""]
    summary = report.get("summary") or {}
    if summary:
        lines += ["| | |", "|---|---|"]
        lines += [f"| {k} | {json.dumps(v, default=str)} |" for k, v in summary.items()]
        lines.append("")
    items = report.get("drift") or []
    lines += [_item_line(item) for item in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        lines.append(f"- … and {len(items) - MAX_ITEMS} more (see the workflow run)")
    return "\n".join(lines) + "\n"


def decide(env: str, report: dict[str, Any] | None, markdown: str | None = None,
           rc: int | None = None, run_url: str = "", now: datetime | None = None
           ) -> dict[str, Any]:
    """The issue's title, labels, state and body for this drift report."""
    if rc is not None and rc not in (0, 2):
        raise ReportError(f"sagectl drift failed (exit {rc}); the issue is left as it is")
    if not isinstance(report, dict):
        raise ReportError("no drift report (JSON object) to decide on")
    if "actionable" in report:
        actionable = bool(report["actionable"])
    elif rc is not None:
        actionable = rc == 2
    else:
        raise ReportError("the drift report has no 'actionable' field")
    if rc is not None and actionable != (rc == 2):
        print(f"drift-issue: note: exit code {rc} and actionable={actionable} disagree; "
              "following the report", file=sys.stderr)
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    text = (markdown or "").strip() or render_from_json(env, report).strip()
    foot = ["", "---",
            f"<sub>checked {when}" + (f" · [workflow run]({run_url})" if run_url else "")
            + " · updated by the sagectl drift workflow; it closes this issue when the drift is "
            "gone</sub>"]
    head = [MARKER.format(env=env)]
    if actionable:
        head += [f"**Actionable drift in `{env}`**: live AWS differs from the specs on `main`. "
                 "Fix it by changing the specs (a pull request) or by applying `main` again "
                 "(re-run the apply workflow, or run the drift workflow with `heal`).", ""]
    room = BODY_LIMIT - sum(len(x) + 1 for x in head + foot) - 100
    if len(text) > room:
        text = text[:room].rsplit("\n", 1)[0] + ("\n\n_… cut to fit GitHub's limit; the full "
                                                  "report is in the workflow run._")
    body = "\n".join([*head, text, *foot]) + "\n"
    return {"env": env, "title": TITLE.format(env=env), "labels": [LABEL],
            "state": "open" if actionable else "closed", "actionable": actionable,
            "summary": report.get("summary") or {}, "body": body}


def find_issue(gh: Any, env: str) -> tuple[dict | None, dict | None]:
    """(the open issue, the most recently updated closed one) of this environment."""
    marker, title = MARKER.format(env=env), TITLE.format(env=env)
    ours = [i for i in gh.paginate(gh.repo_path("/issues"),
                                   {"labels": LABEL, "state": "all", "sort": "updated",
                                    "direction": "desc"})
            if "pull_request" not in i]
    by_marker = [i for i in ours if (i.get("body") or "").lstrip().startswith(marker)]
    matches = by_marker or [i for i in ours if i.get("title") == title]
    open_ = next((i for i in matches if i.get("state") == "open"), None)
    closed = next((i for i in matches if i.get("state") == "closed"), None)
    return open_, closed


def ensure_label(gh: Any) -> None:
    from github_api import GitHubError

    try:
        gh.request("GET", gh.repo_path(f"/labels/{LABEL}"))
    except GitHubError as err:
        if err.status != 404:
            raise
        gh.request("POST", gh.repo_path("/labels"), {
            "name": LABEL, "color": LABEL_COLOR,
            "description": "Live AWS differs from the specs (sagectl drift)"})


def apply_decision(gh: Any, decision: dict[str, Any], run_url: str = "") -> tuple[str, int | None]:
    """Carry the decision out: (action, issue number)."""
    env = decision["env"]
    open_, closed = find_issue(gh, env)
    if decision["state"] == "closed":
        if open_ is None:
            return "none", None
        note = (f"No actionable drift in `{env}` any more" + (f" ({run_url})" if run_url else "")
                + ": closing.")
        gh.request("POST", gh.repo_path(f"/issues/{open_['number']}/comments"), {"body": note})
        gh.request("PATCH", gh.repo_path(f"/issues/{open_['number']}"),
                   {"state": "closed", "state_reason": "completed"})
        return "closed", open_["number"]
    fields = {"title": decision["title"], "body": decision["body"]}
    if open_ is not None:
        gh.request("PATCH", gh.repo_path(f"/issues/{open_['number']}"), fields)
        return "updated", open_["number"]
    ensure_label(gh)
    if closed is not None:
        gh.request("PATCH", gh.repo_path(f"/issues/{closed['number']}"),
                   {**fields, "state": "open", "labels": decision["labels"]})
        gh.request("POST", gh.repo_path(f"/issues/{closed['number']}/comments"),
                   {"body": f"Drift is back in `{env}`" + (f" ({run_url})" if run_url else "")
                    + ": reopening."})
        return "reopened", closed["number"]
    issue, _ = gh.request("POST", gh.repo_path("/issues"), {**fields, "labels": decision["labels"]})
    return "created", issue["number"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--json", type=Path, required=True, help="sagectl drift --format json")
    parser.add_argument("--markdown", type=Path, help="sagectl drift --format markdown")
    parser.add_argument("--rc", type=int, help="the drift command's exit code")
    parser.add_argument("--out", type=Path, help="also write the decision (JSON) here")
    parser.add_argument("--apply", action="store_true", help="open/update/close the issue")
    args = parser.parse_args(argv)

    run_url = _run_url()
    try:
        try:
            report = json.loads(args.json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ReportError(f"cannot read the drift report {args.json}: {err}") from None
        markdown = None
        if args.markdown and args.markdown.is_file():
            markdown = args.markdown.read_text(encoding="utf-8")
        decision = decide(args.env, report, markdown, args.rc, run_url)
    except ReportError as err:
        print(f"drift-issue: {args.env}: {err}", file=sys.stderr)
        return 1
    text = json.dumps(decision, indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
        print(f"drift-issue: {args.env}: actionable={decision['actionable']}: the issue should "
              f"be {decision['state']} ({args.out})", file=sys.stderr)
    else:
        print(text)
    if not args.apply:
        return 0

    from github_api import GitHub, GitHubError, write_outputs

    try:
        action, number = apply_decision(GitHub(), decision, run_url)
    except GitHubError as err:
        print(f"drift-issue: {err}", file=sys.stderr)
        return 1
    print(f"drift-issue: {args.env}: {action}" + (f" issue #{number}" if number else ""),
          file=sys.stderr)
    write_outputs(action=action, issue=number or "")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
