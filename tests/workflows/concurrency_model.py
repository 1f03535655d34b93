"""A model of GitHub's concurrency groups running ``apply.yml``, for the tests.

Semantics modelled (GitHub, "Control the concurrency of workflows and jobs"): a group holds at
most one running and one pending job; a job queued while another job of the group is in
progress becomes pending, and the job that was pending until then is cancelled and replaced;
with ``cancel-in-progress: false`` a running job is never cancelled. For job-level groups GitHub
does not guarantee the order of jobs queued within 5 minutes of each other, so the model lets
ANY ready job queue next. A job waiting for its environment's reviewers is modelled as running
(it holds its group while it waits: GitHub does not document this either way; a job that holds
it longer only delays the others). A commit pushed with ``[skip ci]`` or by a workflow's
``GITHUB_TOKEN`` gets no run. Jobs whose ``needs`` did not all succeed are skipped (GitHub's
default ``if: success()``); ``if: always()`` (the verdict) runs after them anyway.

Every job reads the world (the tip of main, which runs exist, what AWS holds) and acts
atomically while it runs; the decisions are the real ones, ``.github/scripts/apply_gate.py``.
``explore`` walks every interleaving of merges, queueings and completions.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "apply_gate", Path(__file__).resolve().parents[2] / ".github" / "scripts" / "apply_gate.py")
assert _spec and _spec.loader
gate = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("apply_gate", gate)
_spec.loader.exec_module(gate)

JOBS = ("dev", "plan", "prod")  # apply.yml's dev, prod-plan and prod
GROUP = {"dev": "dev", "plan": "prod", "prod": "prod"}  # sagectl-apply-dev / sagectl-apply-prod
DONE = ("success", "skipped", "failure", "cancelled")


@dataclass(frozen=True)
class Merge:
    runs: bool = True          # False: [skip ci], or pushed by a workflow's GITHUB_TOKEN
    changes_prod: bool = True  # False: e.g. documentation only


@dataclass(frozen=True)
class Run:
    commit: int
    status: tuple[str, ...] = ("ready", "wait", "wait")  # per JOBS: wait ready pending running DONE
    current: bool = False     # dev's output: the gate applied (not superseded)
    changes: bool = False     # prod-plan's output
    base: int = -1            # the prod config the saved plan was made against
    verdict: str = "wait"     # wait, success, failure (the verdict job; the new design only)

    def job(self, name: str) -> str:
        return self.status[JOBS.index(name)]

    def with_job(self, name: str, status: str) -> Run:
        s = list(self.status)
        s[JOBS.index(name)] = status
        return replace(self, status=tuple(s))


@dataclass(frozen=True)
class World:
    merged: int = 0                        # commits 1..merged are on main; 0 was there before
    runs: tuple[Run, ...] = ()
    running: tuple[tuple[str, int, str], ...] = ()   # (group, commit, job)
    pending: tuple[tuple[str, int, str], ...] = ()
    dev: int = 0                           # the commit dev holds
    prod: int = 0                          # the prod config prod holds (a commit's config)
    prod_applied: tuple[int, ...] = ()     # commits applied to prod, in order
    dev_applied: tuple[int, ...] = ()
    reports: tuple[tuple[int, int], ...] = field(default=())  # red: (run's commit, tip it saw)


class Model:
    def __init__(self, merges: list[Merge], design: str = "gate") -> None:
        self.merges = merges
        self.design = design  # "gate": apply_gate.py; "tip-only": the design it replaced
        self.config = [0]     # the prod config of each commit
        for i, m in enumerate(merges, start=1):
            self.config.append(i if m.changes_prod else self.config[i - 1])

    # -- the world as the jobs see it
    def has_run(self, w: World, commit: int) -> bool:
        return any(r.commit == commit for r in w.runs)

    def decide(self, w: World, commit: int) -> str:
        if self.design == "tip-only":  # skip, green, whenever main moved on (apply.sh's check)
            return gate.APPLY if commit == w.merged else gate.SKIP
        tip_has_run = commit != w.merged and self.has_run(w, w.merged)
        return gate.decide(str(commit), str(w.merged), tip_has_run).action

    # -- transitions
    def moves(self, w: World) -> list[World]:
        out = []
        if w.merged < len(self.merges):
            out.append(self.merge(w))
        for i, r in enumerate(w.runs):
            for name in JOBS:
                if r.job(name) == "ready":
                    out.append(self.queue(w, i, name))
            if self.design == "gate" and r.verdict == "wait" and all(
                    s in DONE for s in r.status):
                out.append(self.run_verdict(w, i))
        for entry in w.running:
            out.append(self.complete(w, entry))
        return out

    def merge(self, w: World) -> World:
        c = w.merged + 1
        runs = w.runs + ((Run(c),) if self.merges[c - 1].runs else ())
        return replace(w, merged=c, runs=runs)

    def _set(self, w: World, commit: int, name: str, status: str) -> World:
        runs = tuple(r.with_job(name, status) if r.commit == commit else r for r in w.runs)
        return replace(w, runs=runs)

    def queue(self, w: World, i: int, name: str) -> World:
        r = w.runs[i]
        g = GROUP[name]
        entry = (g, r.commit, name)
        if not any(e[0] == g for e in w.running):
            w = replace(w, running=(*w.running, entry))
            return self._set(w, r.commit, name, "running")
        for old in [e for e in w.pending if e[0] == g]:  # replaced: cancelled
            w = replace(w, pending=tuple(e for e in w.pending if e != old))
            w = self.cascade(self._set(w, old[1], old[2], "cancelled"), old[1])
        w = replace(w, pending=(*w.pending, entry))
        return self._set(w, r.commit, name, "pending")

    def complete(self, w: World, entry: tuple[str, int, str]) -> World:
        g, commit, name = entry
        r = next(r for r in w.runs if r.commit == commit)
        result = getattr(self, f"job_{name}")(w, r)
        w, status = result
        w = self._set(w, commit, name, status)
        if status == "failure":
            w = replace(w, reports=(*w.reports, (commit, w.merged)))
        running = tuple(e for e in w.running if e != entry)
        nxt = [e for e in w.pending if e[0] == g]
        if nxt:
            w = replace(w, pending=tuple(e for e in w.pending if e != nxt[0]))
            running = (*running, nxt[0])
            w = self._set(w, nxt[0][1], nxt[0][2], "running")
        w = replace(w, running=running)
        return self.cascade(w, commit)

    def cascade(self, w: World, commit: int) -> World:
        """Resolve the ``if:`` of jobs whose needs are done (default ``success()``)."""
        r = next(r for r in w.runs if r.commit == commit)
        if r.job("plan") == "wait" and r.job("dev") in DONE:
            ok = r.job("dev") == "success" and (r.current or self.design == "tip-only")
            w = self._set(w, commit, "plan", "ready" if ok else "skipped")
            r = next(r for r in w.runs if r.commit == commit)
        if r.job("prod") == "wait" and r.job("plan") in DONE:
            ok = r.job("dev") == "success" and r.job("plan") == "success" and r.changes
            w = self._set(w, commit, "prod", "ready" if ok else "skipped")
        return w

    def _update(self, w: World, commit: int, **kw: object) -> World:
        return replace(w, runs=tuple(replace(r, **kw) if r.commit == commit else r
                                     for r in w.runs))

    def job_dev(self, w: World, r: Run) -> tuple[World, str]:
        action = self.decide(w, r.commit)
        if action == gate.FAIL:
            return w, "failure"
        if action == gate.APPLY:
            w = replace(w, dev=r.commit, dev_applied=(*w.dev_applied, r.commit))
        return self._update(w, r.commit, current=action == gate.APPLY), "success"

    def job_plan(self, w: World, r: Run) -> tuple[World, str]:
        action = self.decide(w, r.commit) if self.design == "gate" else gate.APPLY
        if action == gate.FAIL:
            return w, "failure"
        changes = action == gate.APPLY and self.config[r.commit] != w.prod
        return self._update(w, r.commit, changes=changes, base=w.prod), "success"

    def job_prod(self, w: World, r: Run) -> tuple[World, str]:
        action = self.decide(w, r.commit)
        if action == gate.FAIL:
            return w, "failure"
        if action == gate.SKIP:
            return w, "success"
        if w.prod != r.base:  # sagectl refuses a saved plan AWS has moved away from
            return w, "failure"
        return replace(w, prod=self.config[r.commit],
                       prod_applied=(*w.prod_applied, r.commit)), "success"

    def run_verdict(self, w: World, i: int) -> World:
        r = w.runs[i]
        tip_has_run = r.commit != w.merged and self.has_run(w, w.merged)
        results = dict(zip(JOBS, r.status, strict=True))
        d = gate.verdict(str(r.commit), str(w.merged), tip_has_run, results)
        w = self._update(w, r.commit, verdict="failure" if d.action == gate.FAIL else "success")
        if d.action == gate.FAIL:
            w = replace(w, reports=(*w.reports, (r.commit, w.merged)))
        return w


def explore(model: Model, limit: int = 2_000_000) -> tuple[int, list[World]]:
    """Every quiescent world reachable (all merged, nothing left to run), and the count seen."""
    seen: set[World] = set()
    stack = [World()]
    ends = []
    while stack:
        w = stack.pop()
        if w in seen:
            continue
        seen.add(w)
        assert len(seen) < limit, "state space too large"
        nxt = model.moves(w)
        if not nxt:
            ends.append(w)
        stack.extend(nxt)
    return len(seen), ends


def violations(model: Model, w: World) -> list[str]:
    """What a quiescent world must satisfy: the last merge is applied, or reported red."""
    out = []
    last = w.merged
    applied = w.dev == last and w.prod == model.config[last]
    reported = any(commit == last or tip == last for commit, tip in w.reports)
    if not applied and not reported:
        out.append(f"merge {last} dropped while every run is green: dev={w.dev} "
                   f"prod={w.prod} (wants {model.config[last]}); runs: {w.runs}")
    for name, seq in (("dev", w.dev_applied), ("prod", w.prod_applied)):
        if list(seq) != sorted(seq):
            out.append(f"{name} applied an older commit after a newer one: {seq}")
    return out
