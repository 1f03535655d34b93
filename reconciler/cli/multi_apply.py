"""``sagectl apply`` over several environments: stage by stage (``spec.stage`` of each
Environment, stage 1 first), the environments of one stage at once (each in its own ``sagectl
apply`` process, at most ``--parallel-envs``), never two stages at once, and no later stage once
one did not fully apply: the exit code is that stage's worst (apply's codes, ranked as
``RANK_OF_CODE``), and the stages left are listed as not started, with why.

Without ``--auto-approve``: the environments are planned first (each plan saved), the combined
plan is shown with the stages, one confirmation covers the run, and each environment then
applies exactly its saved plan (refused, as always, if what it read has moved). With
``--auto-approve`` each environment plans and applies in its own process, as ``apply --env`` does.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from reconciler.cli import multi
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_DEGRADED,
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NOT_APPLIED,
    EXIT_OK,
    EXIT_ROLLED_BACK,
)

RANK_OF_CODE = {EXIT_OK: 0, EXIT_NOT_APPLIED: 1, EXIT_ROLLED_BACK: 2, EXIT_ERROR: 3,
                EXIT_DEGRADED: 4, EXIT_INTERNAL: 5, EXIT_INTERRUPTED: 6, 143: 6}
"""Which environment's exit code is the stage's: the outcomes' order of ``apply.context.RANK``
(waiting < rolled back < failed < degraded), then a bug, then a stop by signal."""

ERROR_TAIL = 1_000


def worst(codes: list[int]) -> int:
    return max(codes, key=lambda c: RANK_OF_CODE.get(c, RANK_OF_CODE[EXIT_ERROR]),
               default=EXIT_OK)


def _events(child: multi.Child) -> list[dict[str, Any]]:
    found = []
    for line in child.out.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            found.append(event)
    return found


def _outcome(child: multi.Child) -> str:
    """One line: what this environment's apply did."""
    events = _events(child)
    summary = next((e for e in reversed(events) if e.get("event") == "summary"), None)
    if summary is not None:
        counts = [f"{summary[s]} {s.replace('_', ' ')}" for s in
                  ("applied", "waiting", "rolled_back", "failed", "degraded") if summary.get(s)]
        return f"exit {child.code}: " + (", ".join(counts) or "nothing to do")
    said = next((e.get("message") for e in reversed(events) if e.get("message")), None)
    if said is None and child.code == EXIT_OK:
        return "exit 0: no changes"
    return f"exit {child.code}: {said or child.err.strip()[-ERROR_TAIL:] or 'no output'}"


def _stage_list(stages: list[list[str]]) -> str:
    return "; ".join(f"stage {i}: {', '.join(names)}" for i, names in enumerate(stages, 1))


def _apply_options(args: argparse.Namespace) -> list[str]:
    return ["--auto-approve", "--format", "json",
            *multi.common_options(args, "state_table", "force", "poll_seconds", "lease_seconds",
                                  "no_create_state_table", "profile", "region", "parallel")]


def _review(args: argparse.Namespace, names: list[str], stages: list[list[str]],
            environ: dict[str, str], saved: Path) -> int:
    """Plan every environment (each plan saved in ``saved``), show them, ask once: EXIT_OK to
    go on."""
    from reconciler.cli import multi_report

    if not sys.stdin.isatty():
        print("sagectl: not a terminal: pass --auto-approve to apply without a confirmation",
              file=sys.stderr)
        return EXIT_ERROR
    options = ["--format", "json", "--detailed-exitcode",
               *multi.common_options(args, "prune", "state_table", "profile", "region",
                                     "parallel")]
    jobs = {env: ["plan", args.path, "--env", env, *options,
                  "--out", str(saved / f"{env}.json")] for env in names}
    children = multi.run_all(jobs, multi.parallel_envs(args, len(names)), environ)
    shown = multi_report.render("plan", list(children.values()), "text")
    (sys.stderr if args.json else sys.stdout).write(shown)  # JSON: stdout holds events only
    if any(c.code not in (EXIT_OK, EXIT_CHANGES) for c in children.values()):
        print("a plan failed; nothing was applied", file=sys.stderr)
        return EXIT_ERROR
    if all(c.code == EXIT_OK for c in children.values()):
        return EXIT_OK
    answer = input(f"Apply these plans in {len(stages)} stage(s) ({_stage_list(stages)}), "
                   "each stage only if the previous one applied fully? Only 'yes' is accepted: ")
    if answer.strip() != "yes":
        print("nothing was applied", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def run(args: argparse.Namespace, names: list[str], selection: Any) -> int:
    from reconciler.spec.selection import stages as stages_of

    stages, problems = stages_of([selection.environments[n] for n in names])
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("nothing was applied", file=sys.stderr)
        return EXIT_ERROR
    with tempfile.TemporaryDirectory(prefix="sagectl-plans-") as tmp, \
            multi.child_environment(args) as environ:
        saved = Path(tmp)
        if not args.auto_approve:
            code = _review(args, names, stages, environ, saved)
            if code:
                return code
        else:
            print(f"applying {len(names)} environments in {len(stages)} stage(s): "
                  f"{_stage_list(stages)}", file=sys.stderr)
        return _stages(args, stages, environ, saved if not args.auto_approve else None)


def _stages(args: argparse.Namespace, stages: list[list[str]], environ: dict[str, str],
            saved: Path | None) -> int:
    """Each stage after the previous one applied fully; the exit code of the first that did
    not (0 when all did)."""
    options = _apply_options(args)
    for number, names in enumerate(stages, 1):
        jobs = {}
        for env in names:
            plan = saved / f"{env}.json" if saved is not None else None
            jobs[env] = (["apply", str(plan), "--specs", args.path, *options]
                         if plan is not None and plan.exists()
                         else ["apply", args.path, "--env", env, *options])
        try:
            children = multi.run_all(jobs, multi.parallel_envs(args, len(names)), environ)
        except multi.Interrupted as stopped:  # Ctrl-C, or a SIGTERM passed on to the children
            _report(args, number, stopped.children)
            _not_started(args, stages, number, f"stage {number} was stopped by {stopped.by} "
                         "(each of its environments' sagectl processes stopped itself cleanly; "
                         "the same command resumes)")
            return stopped.exit_code
        _report(args, number, children)
        code = worst([c.code for c in children.values()])
        if code != EXIT_OK:
            failed = ", ".join(f"{c.env}: exit {c.code}" for c in children.values()
                               if c.code != EXIT_OK)
            _not_started(args, stages, number, f"stage {number} did not fully apply ({failed})")
            _say(args, {"event": "estate_summary", "stages": len(stages), "applied_stages":
                        number - 1, "exit_code": code}, f"Apply stopped at stage {number}.")
            return code
    _say(args, {"event": "estate_summary", "stages": len(stages), "applied_stages": len(stages),
                "exit_code": EXIT_OK}, f"Apply: {len(stages)} stage(s) applied.")
    return EXIT_OK


def _not_started(args: argparse.Namespace, stages: list[list[str]], number: int,
                 why: str) -> None:
    """Say that the stages after ``number`` were not started, and why."""
    for later, rest in enumerate(stages[number:], number + 1):
        _say(args, {"event": "stage_not_started", "stage": later, "environments": rest,
                    "message": f"not started: {why}"},
             f"stage {later} ({', '.join(rest)}): not started: {why}")


def _say(args: argparse.Namespace, event: dict[str, Any], text: str) -> None:
    print(json.dumps(event) if args.json else text, flush=True)


def _report(args: argparse.Namespace, number: int, children: dict[str, multi.Child]) -> None:
    """Each environment's events (JSON: its own, with ``env`` and ``stage`` added, then an
    ``environment_done`` with its exit code) or one line each (text), its stderr on stderr
    prefixed with its name."""
    for child in children.values():
        for line in child.err.splitlines():
            print(f"[{child.env}] {line}", file=sys.stderr)
        if args.json:
            for event in _events(child):
                print(json.dumps({**event, "env": child.env, "stage": number}))
            print(json.dumps({"event": "environment_done", "env": child.env, "stage": number,
                              "exit_code": child.code, "message": _outcome(child)}))
        else:
            print(f"stage {number}  {child.env}: {_outcome(child)}")
    sys.stdout.flush()
