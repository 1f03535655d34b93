#!/usr/bin/env python3
"""Should this run of the apply workflow apply its commit, and is its outcome honest?

GitHub's concurrency groups (``cancel-in-progress: false``) hold at most one running and one
pending job per group: a job that queues while another one is pending cancels the pending one,
and for job-level groups GitHub does not guarantee the order of jobs queued within 5 minutes of
each other. So an OLDER run's job can replace a NEWER run's pending job, and a commit pushed
with ``[skip ci]`` (or by a workflow's ``GITHUB_TOKEN``) gets no run at all. The tip check alone
(skip, green, when ``main`` has moved on) could then leave the newest merge unapplied while
every run shows green. Two decisions close that, both pure functions below so that
``tests/workflows/test_apply_concurrency.py`` can drive them through every interleaving:

- ``decide`` (the ``gate`` command, a step before each apply and before prod's plan): apply when
  this commit is the tip of the branch; when the branch has moved on, skip green only if the
  tip has a run of this workflow of its own (that run applies it, or shows why not); otherwise
  fail: nothing else would apply the tip.
- ``verdict`` (the ``verdict`` command, a last job with ``if: always()``): a run with a
  cancelled job (concurrency replaced it, or someone cancelled it) fails unless a newer run owns
  the tip, so the newest merge's run is never merely grey.

The GitHub calls (``GET /repos/R/git/ref/heads/B`` and
``GET /repos/R/actions/workflows/W/runs?head_sha=S``) need ``contents: read`` and
``actions: read``; the token is passed to this step only (``GITHUB_TOKEN``), so checkouts do
not persist it. Stdlib only; reuses ``scripts/ci/github_api.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APPLY = "apply"
SKIP = "skip"
FAIL = "fail"


@dataclass(frozen=True)
class Decision:
    action: str  # APPLY, SKIP (green: a newer run owns the tip) or FAIL (not green)
    reason: str


def decide(commit: str, tip: str, tip_has_run: bool) -> Decision:
    """The gate: apply ``commit`` only while it is the tip; never skip the tip silently."""
    if commit == tip:
        return Decision(APPLY, f"{commit[:12]} is the tip")
    if tip_has_run:
        return Decision(SKIP, f"the branch has moved on from {commit[:12]} to {tip[:12]}; "
                              f"the run for {tip[:12]} applies it (or shows why not)")
    return Decision(FAIL, f"the branch has moved on from {commit[:12]} to {tip[:12]}, and no run "
                          f"of this workflow exists for {tip[:12]} (a [skip ci] commit, or one "
                          "pushed with a workflow's GITHUB_TOKEN): run the workflow by hand "
                          "(workflow_dispatch) so that the tip is applied")


def verdict(commit: str, tip: str, tip_has_run: bool, results: dict[str, str]) -> Decision:
    """The run's last word: a cancelled or failed job is fine only in a superseded run."""
    bad = sorted(job for job, result in results.items() if result in ("cancelled", "failure"))
    if not bad:
        return Decision(APPLY, "every job succeeded or was skipped")
    gate = decide(commit, tip, tip_has_run)
    if gate.action == SKIP:
        return Decision(SKIP, f"{', '.join(bad)}: not green, but superseded: {gate.reason}")
    return Decision(FAIL, f"{', '.join(bad)} did not succeed and {commit[:12]} is not superseded "
                          f"by a run of its own ({gate.reason}): re-run this workflow")


# --------------------------------------------------------------------------------------------
# GitHub


def _github() -> Any:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "ci"))
    sys.dont_write_bytecode = True  # no __pycache__ left in scripts/ci
    import github_api

    return github_api


def read_tip(gh: Any, branch: str) -> str:
    data, _ = gh.request("GET", gh.repo_path(f"/git/ref/heads/{branch}"))
    return data["object"]["sha"]


def has_run(gh: Any, workflow: str, sha: str) -> bool:
    data, _ = gh.request("GET", gh.repo_path(f"/actions/workflows/{workflow}/runs"),
                         params={"head_sha": sha, "per_page": 1})
    return int(data.get("total_count") or 0) > 0


def _summary(text: str) -> None:
    print(text)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(text + "\n\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["gate", "verdict"])
    parser.add_argument("--workflow", required=True, help="this workflow's file, e.g. apply.yml")
    parser.add_argument("--what", default="apply", help="what the gate guards, for the summary")
    parser.add_argument("--no-newer-run", action="store_true",
                        help="no newer run will take over (a heal by hand): never skip green")
    parser.add_argument("--needs", default="{}", help="the toJSON(needs) of the verdict job")
    args = parser.parse_args(argv)

    commit = os.environ.get("GITHUB_SHA", "")
    branch = os.environ.get("GITHUB_REF_NAME", "main")
    api = _github()
    gh = api.GitHub()
    try:
        tip = read_tip(gh, branch)
        tip_has_run = tip != commit and not args.no_newer_run and has_run(gh, args.workflow, tip)
    except api.GitHubError as err:
        print(f"apply_gate: cannot read the tip of {branch}: {err}; nothing done", file=sys.stderr)
        return 1

    if args.command == "gate":
        decision = decide(commit, tip, tip_has_run)
        api.write_outputs(apply=str(decision.action == APPLY).lower())
        if decision.action != APPLY:
            _summary(f"### {args.what}: {'skipped' if decision.action == SKIP else 'refused'}\n\n"
                     f"{decision.reason}.")
        else:
            print(f"apply_gate: {decision.reason}: {args.what}")
        return 1 if decision.action == FAIL else 0

    results = {job: str(need.get("result", "")) for job, need in json.loads(args.needs).items()}
    decision = verdict(commit, tip, tip_has_run, results)
    _summary(f"### Verdict: {decision.reason}.")
    return 1 if decision.action == FAIL else 0


if __name__ == "__main__":
    sys.exit(main())
