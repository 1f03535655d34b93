#!/usr/bin/env python3
"""Assemble the pull request's plan comment from what ``pr-plan.sh`` left in a directory.

    plan-comment.py DIR [--envs "dev prod"] [--fork] [--out DIR/comment.md]

DIR holds ``validate.json`` and ``validate.rc`` (``sagectl validate --format json`` and its exit
code) and, per environment, ``plan-ENV.md`` (``sagectl plan --format markdown``), ``plan-ENV.rc``
(its exit code with ``--detailed-exitcode``: 0 no changes, 2 changes, anything else an error, or
``skipped``) and ``plan-ENV.err`` (its stderr). Missing files mean that step did not run (for
example the plan job of that environment failed before planning).

The comment starts with the hidden marker ``<!-- sagectl-plan -->`` (how the workflow finds and
updates the one comment per pull request), then a table with one line per environment, the
validation result, one section per environment (each starts with
``<!-- sagectl-plan-env: ENV -->``) and a footer. It never exceeds GitHub's 65,536-character
comment limit: when the plans are too long, the details of the longest ones are left out first
(the full plans are in the workflow's artifacts), then the tables are cut.

``--fork``: the pull request comes from a fork, so the workflow gave it no AWS credentials and only
validated; the comment says so instead of showing plans.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

MARKER = "<!-- sagectl-plan -->"
ENV_MARKER = "<!-- sagectl-plan-env: {env} -->"
GITHUB_LIMIT = 65_536
"""GitHub refuses comment bodies longer than this (characters)."""
MAX_DIAGNOSTICS = 50
MAX_ERROR_CHARS = 4_000

SUMMARY_RE = re.compile(r"^\*\*((?:Plan: |No changes).*?)\*\*\s*$", re.MULTILINE)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None


def _fence(text: str, lang: str = "text") -> str:
    """A code block that ``text`` cannot close early."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def _tail(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…\n" + text[-limit:]


class EnvPlan:
    """One environment's plan outcome, read from DIR."""

    def __init__(self, out: Path, env: str) -> None:
        self.env = env
        self.markdown = _read(out / f"plan-{env}.md") or ""
        self.stderr = _read(out / f"plan-{env}.err") or ""
        rc = (_read(out / f"plan-{env}.rc") or "").strip()
        self.rc: int | str | None = int(rc) if rc.lstrip("-").isdigit() else (rc or None)

    @property
    def ok(self) -> bool:
        return self.rc in (0, 2)

    @property
    def summary(self) -> str:
        found = SUMMARY_RE.search(self.markdown)
        if self.ok and found:
            return found.group(1)
        if self.rc == 0:
            return "No changes."
        if self.rc == 2:
            return "Changes (see below)."
        if self.rc == "skipped":
            return "Not planned: the specs are invalid."
        if self.rc is None:
            return "No plan: the plan did not run (see the workflow run)."
        return f"The plan failed (exit {self.rc})."

    @property
    def icon(self) -> str:
        if self.rc == 0:
            return "✅"
        if self.rc == 2:
            return "📝"
        return "⏭️" if self.rc == "skipped" else "❌"

    def section(self) -> str:
        marker = ENV_MARKER.format(env=self.env)
        shown = self.stderr.strip() and self.rc not in ("skipped", None)
        if self.ok and self.markdown.strip():
            return f"{marker}\n{self.markdown.strip()}\n"
        if self.markdown.strip():  # a plan with errors: its problems are in the markdown
            text = f"{marker}\n{self.markdown.strip()}\n"
            return text + (f"\n{_fence(_tail(self.stderr))}\n" if shown else "")
        lines = [marker, f"### sagectl plan for `{self.env}`", "",
                 f"**{self.icon} {self.summary}**", ""]
        if shown:
            lines += [_fence(_tail(self.stderr)), ""]
        return "\n".join(lines)

    def compact(self, budget: int | None = None) -> str:
        """The section without its per-change details (and cut to ``budget`` characters)."""
        full = self.section()
        head, sep, _rest = full.partition("\n<details>")
        if not sep:
            head = full
        note = ("\n_The per-change details were left out to fit GitHub's comment limit; the "
                f"full plan is in the workflow run's artifacts (`plan-{self.env}.md`, "
                f"`plan-{self.env}.json`)._\n")
        text = head.rstrip() + "\n" + (note if sep else "")
        if budget is not None and len(text) > budget:
            cut_note = (f"\n_… cut to fit GitHub's comment limit; see `plan-{self.env}.md` in the "
                        "workflow run's artifacts._\n")
            keep = max(0, budget - len(cut_note))
            text = text[:keep].rsplit("\n", 1)[0] + cut_note
        return text


def _validation(out: Path) -> tuple[str, list[str], dict]:
    """(one-line result, detail lines, the validate JSON)."""
    raw = _read(out / "validate.json")
    rc = (_read(out / "validate.rc") or "").strip()
    try:
        data = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        data = {}
    diags = data.get("diagnostics") or []
    errors = [d for d in diags if d.get("severity") == "error"]
    warnings = [d for d in diags if d.get("severity") == "warning"]
    if not rc and not data:
        return "⚠️ `sagectl validate` did not run.", [], data
    if rc not in ("", "0") and not errors:
        return f"❌ `sagectl validate` failed (exit {rc}).", [], data
    counts = data.get("resources") or {}
    envs = ", ".join(f"`{env}` ({sum(c.values())} resources)" for env, c in counts.items())
    if errors:
        line = f"❌ `sagectl validate`: {len(errors)} error{'s' if len(errors) != 1 else ''}"
    else:
        line = f"✅ `sagectl validate`: valid for {envs or 'every environment'}"
    if warnings:
        line += f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    shown = (errors + warnings)[:MAX_DIAGNOSTICS]
    detail = [f"{d.get('file')}:{d.get('line')}:{d.get('column')}: {d.get('severity')}: "
              + (f"{d['path']}: " if d.get("path") else "") + str(d.get("message"))
              for d in shown]
    if len(errors) + len(warnings) > len(shown):
        detail.append(f"… and {len(errors) + len(warnings) - len(shown)} more (see the "
                      "annotations and the workflow log)")
    return line + ".", detail, data


def _run_url() -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repo, run = os.environ.get("GITHUB_REPOSITORY"), os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{repo}/actions/runs/{run}" if repo and run else ""


def build(out: Path, envs: list[str], fork: bool = False, limit: int = GITHUB_LIMIT,
          sha: str = "", run_url: str = "") -> str:
    valid_line, valid_detail, vdata = _validation(out)
    if not envs:
        envs = list((vdata.get("resources") or {}).keys()) or sorted(
            p.name[len("plan-"):-len(".rc")] for p in out.glob("plan-*.rc"))
    head = [MARKER, "## sagectl plan", ""]
    if fork:
        head += ["> [!NOTE]",
                 "> This pull request comes from a fork, so the workflow gives it no AWS "
                 "credentials: **only `sagectl validate` ran, nothing was planned**. A maintainer "
                 "can push the branch to this repository to get a plan.", ""]
    head += [valid_line, ""]
    if valid_detail:
        head += ["<details><summary>Diagnostics</summary>", "",
                 _fence("\n".join(valid_detail)), "", "</details>", ""]

    plans = [EnvPlan(out, env) for env in envs]
    if valid_line.startswith("❌"):  # plans that did not run were skipped for the invalid specs
        for p in plans:
            if p.rc is None:
                p.rc = "skipped"
    if not fork:
        head += ["| Environment | Result |", "| --- | --- |"]
        head += [f"| `{p.env}` | {p.icon} {p.summary} |" for p in plans]
        head.append("")

    bits = [f"commit `{sha[:12]}`" if sha else "", f"[workflow run]({run_url})" if run_url else "",
            "" if fork else "the JSON plans are in the run's artifacts"]
    foot = ["---", "<sub>" + " · ".join(b for b in bits if b) + "</sub>"] if any(bits) else []

    if fork:
        counts = vdata.get("resources") or {}
        sections = []
        for env in envs:
            n = sum((counts.get(env) or {}).values())
            what = ("; the specs are invalid (see above)" if valid_line.startswith("❌")
                    else f"; validated: {n} resources" if env in counts else "")
            sections.append(f"{ENV_MARKER.format(env=env)}\n### `{env}`\n\n"
                            f"Not planned (fork pull request){what}.\n")
    else:
        sections = [p.section() for p in plans]

    def assemble(parts: list[str]) -> str:
        return "\n".join(head) + "\n" + "\n".join(parts) + "\n" + "\n".join(foot) + "\n"

    body = assemble(sections)
    if len(body) > limit and not fork:
        # leave out the details of the longest plans first
        for i in sorted(range(len(plans)), key=lambda i: -len(sections[i])):
            sections[i] = plans[i].compact()
            body = assemble(sections)
            if len(body) <= limit:
                break
    if len(body) > limit and not fork:
        fixed = len(assemble([""] * len(plans)))
        share = max(200, (limit - fixed) // max(1, len(plans)) - 2)
        sections = [p.compact(share) for p in plans]
        body = assemble(sections)
    if len(body) > limit:  # only a pathological header (thousands of diagnostics) gets here
        note = "\n\n_… cut to fit GitHub's comment limit._\n"
        body = body[: limit - len(note)] + note
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="the directory pr-plan.sh wrote")
    parser.add_argument("--envs", default="",
                        help="environments, space or comma separated (default: those in DIR)")
    parser.add_argument("--fork", action="store_true",
                        help="a pull request from a fork: validation only, say so")
    parser.add_argument("--out", type=Path, help="write the body here (default: stdout)")
    parser.add_argument("--limit", type=int, default=GITHUB_LIMIT, help=argparse.SUPPRESS)
    parser.add_argument("--sha", default=os.environ.get("PR_HEAD_SHA")
                        or os.environ.get("GITHUB_SHA", ""))
    parser.add_argument("--run-url", default=None,
                        help="the run to link (default: this workflow run)")
    args = parser.parse_args(argv)

    envs = [e for e in re.split(r"[\s,]+", args.envs) if e]
    body = build(args.dir, envs, fork=args.fork, limit=args.limit, sha=args.sha,
                 run_url=_run_url() if args.run_url is None else args.run_url)
    if args.out:
        args.out.write_text(body, encoding="utf-8")
    else:
        sys.stdout.write(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
