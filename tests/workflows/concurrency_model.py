"""A model of GitHub's concurrency groups running ``apply.yml`` stage by stage, for the tests.

Semantics modelled (GitHub, "Control the concurrency of workflows and jobs"): a group holds at
most one running and one pending job; a job queued while another job of the group is in
progress becomes pending, and the job that was pending until then is cancelled and replaced;
with ``cancel-in-progress: false`` a running job is never cancelled. For job-level groups GitHub
does not guarantee the order of jobs queued within 5 minutes of each other, so the model lets
ANY ready job queue next (which also covers ``max-parallel`` holding some legs back). A job
waiting for its environment's reviewers is modelled as running (it holds its group while it
waits: GitHub does not document this either way; a job that holds it longer only delays the
others). A commit pushed with ``[skip ci]`` or by a workflow's ``GITHUB_TOKEN`` gets no run.
Jobs whose ``needs`` did not all succeed are skipped (GitHub's default ``if: success()``);
``if: always()`` (the verdict) runs after them anyway.

The workflow (apply.yml calling apply-stage.yml once per stage): each environment has a plan
job and an apply job, both in its group ``sagectl-apply-ENV``; a stage's plan jobs are matrix
legs started together once the previous stage passed; its review (no group, reads only the
run's own artifacts, so modelled as instantaneous) is ``scripts/ci/stage-review.py``'s
``review``; the apply legs are the environments with changes. A stage passes when all its jobs
succeeded (or were skipped) and its review says ``current``; otherwise no later stage starts.

Every job reads the world (the tip of main, which runs exist, what AWS holds) and acts
atomically while it runs; the decisions are the real ones (``.github/scripts/apply_gate.py``
and ``scripts/ci/stage-review.py``). ``explore`` walks every interleaving of merges, queueings
and completions.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


gate = _load("apply_gate", REPO / ".github" / "scripts" / "apply_gate.py")
stage_review = _load("stage_review", REPO / "scripts" / "ci" / "stage-review.py")

DONE = ("success", "skipped", "failure", "cancelled")
BAD = ("failure", "cancelled")
TWO_STAGES = (("dev", 1), ("prod", 2))                   # the example estate
WIDE_STAGE = (("dev", 1), ("eu", 2), ("us", 2))          # two environments in one stage


@dataclass(frozen=True)
class Merge:
    runs: bool = True                        # False: [skip ci], or pushed by GITHUB_TOKEN
    changes: frozenset[str] | None = None    # the environments whose config changes; None: all
    fails: frozenset[str] = frozenset()      # environments where applying it fails (rc 1/4/5)


@dataclass(frozen=True)
class Run:
    commit: int
    status: tuple[str, ...]          # per Model.jobs: wait ready pending running DONE
    gate: tuple[str, ...]            # per environment: "", "apply" or "skip" (plan's artifact)
    changed: tuple[bool, ...]        # per environment: the plan found changes
    base: tuple[int, ...]            # per environment: the config the saved plan was made on
    current: tuple[str, ...]         # per stage: "", "true", "false" (review), "failed"
    verdict: str = "wait"            # wait, success, failure


@dataclass(frozen=True)
class World:
    merged: int = 0                          # commits 1..merged are on main; 0 was there before
    runs: tuple[Run, ...] = ()
    running: tuple[tuple[str, int, int], ...] = ()   # (group, commit, job index)
    pending: tuple[tuple[str, int, int], ...] = ()
    state: tuple[int, ...] = ()              # per environment: the commit whose config it holds
    applied: tuple[tuple[int, ...], ...] = ()  # per environment: commits applied, in order
    reports: tuple[tuple[int, int], ...] = field(default=())  # red: (run's commit, tip it saw)


class Model:
    def __init__(self, merges: list[Merge], envs: tuple[tuple[str, int], ...] = TWO_STAGES,
                 design: str = "gate") -> None:
        self.merges = merges
        self.design = design
        """"gate": apply_gate.py's gate and verdict; "tip-only": the design they replaced (skip,
        green, whenever main has moved on; no verdict)."""
        self.envs = [name for name, _ in envs]
        order = sorted({s for _, s in envs})
        self.stages = [[name for name, s in envs if s == stage] for stage in order]
        self.jobs = [("plan", e) for e in self.envs] + [("apply", e) for e in self.envs]
        self.config = [tuple(0 for _ in self.envs)]  # per commit: each environment's config
        for i, m in enumerate(merges, start=1):
            prev = self.config[-1]
            self.config.append(tuple(i if m.changes is None or e in m.changes else prev[k]
                                     for k, e in enumerate(self.envs)))

    def start(self) -> World:
        n = len(self.envs)
        return World(state=(0,) * n, applied=((),) * n)

    def job(self, kind: str, env: str) -> int:
        return self.jobs.index((kind, env))

    # -- the world as the jobs see it
    def has_run(self, w: World, commit: int) -> bool:
        return any(r.commit == commit for r in w.runs)

    def decide(self, w: World, commit: int) -> str:
        if self.design == "tip-only":
            return gate.APPLY if commit == w.merged else gate.SKIP
        tip_has_run = commit != w.merged and self.has_run(w, w.merged)
        return gate.decide(str(commit), str(w.merged), tip_has_run).action

    # -- transitions
    def moves(self, w: World) -> list[World]:
        out = []
        if w.merged < len(self.merges):
            out.append(self.merge(w))
        for i, r in enumerate(w.runs):
            for j, status in enumerate(r.status):
                if status == "ready":
                    out.append(self.queue(w, r.commit, j))
            if self.design == "gate" and r.verdict == "wait" and all(
                    s in DONE for s in r.status):
                out.append(self.run_verdict(w, i))
        for entry in w.running:
            out.append(self.complete(w, entry))
        return out

    def merge(self, w: World) -> World:
        c = w.merged + 1
        w = replace(w, merged=c)
        if not self.merges[c - 1].runs:
            return w
        n, s = len(self.envs), len(self.stages)
        run = Run(c, ("wait",) * len(self.jobs), ("",) * n, (False,) * n, (-1,) * n, ("",) * s)
        return self.cascade(replace(w, runs=(*w.runs, run)), c)

    def _run(self, w: World, commit: int) -> Run:
        return next(r for r in w.runs if r.commit == commit)

    def _update(self, w: World, commit: int, **kw: object) -> World:
        return replace(w, runs=tuple(replace(r, **kw) if r.commit == commit else r
                                     for r in w.runs))

    def _set(self, w: World, commit: int, j: int, status: str) -> World:
        s = list(self._run(w, commit).status)
        s[j] = status
        return self._update(w, commit, status=tuple(s))

    def queue(self, w: World, commit: int, j: int) -> World:
        g = self.jobs[j][1]  # sagectl-apply-ENV
        entry = (g, commit, j)
        if not any(e[0] == g for e in w.running):
            w = replace(w, running=(*w.running, entry))
            return self._set(w, commit, j, "running")
        for old in [e for e in w.pending if e[0] == g]:  # replaced: cancelled
            w = replace(w, pending=tuple(e for e in w.pending if e != old))
            w = self.cascade(self._set(w, old[1], old[2], "cancelled"), old[1])
        w = replace(w, pending=(*w.pending, entry))
        return self._set(w, commit, j, "pending")

    def complete(self, w: World, entry: tuple[str, int, int]) -> World:
        g, commit, j = entry
        kind, env = self.jobs[j]
        w, status = getattr(self, f"job_{kind}")(w, self._run(w, commit), env)
        w = self._set(w, commit, j, status)
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

    def _stage_passed(self, r: Run, si: int) -> bool | None:
        """True: stage ``si`` fully applied from the tip; False: it did not (or was
        superseded); None: not finished."""
        jobs = [r.status[self.job(k, e)] for e in self.stages[si] for k in ("plan", "apply")]
        if r.current[si] == "" or not all(s in DONE for s in jobs):
            return None
        return r.current[si] == "true" and not any(s in BAD for s in jobs)

    def cascade(self, w: World, commit: int) -> World:
        """Resolve each stage's jobs whose ``needs`` are done: the stage's plan legs once the
        previous stage passed (apply.yml's ``if``), the review and the apply legs
        (apply-stage.yml's ``needs`` and ``if``)."""
        for si, members in enumerate(self.stages):
            r = self._run(w, commit)
            plans = [self.job("plan", e) for e in members]
            applies = [self.job("apply", e) for e in members]
            if r.status[plans[0]] == "wait":
                before = True if si == 0 else self._stage_passed(r, si - 1)
                if before is None:
                    return w
                for j in plans + applies:
                    w = self._set(w, commit, j, "ready" if before and j in plans else "skipped")
                r = self._run(w, commit)
            if not all(r.status[j] in DONE for j in plans):
                return w
            if r.current[si] == "":
                current = list(r.current)
                if all(r.status[j] == "success" for j in plans):
                    k = [self.envs.index(e) for e in members]
                    decision = stage_review.review(
                        members, {e: r.gate[i] for e, i in zip(members, k, strict=True)},
                        {e: "2" if r.changed[i] else "0"
                         for e, i in zip(members, k, strict=True)})
                    assert decision.error is None, decision.error
                    current[si] = "true" if decision.current else "false"
                    for e in members:
                        w = self._set(w, commit, self.job("apply", e),
                                      "ready" if e in decision.apply else "skipped")
                else:  # a plan failed or was cancelled: no review, no apply
                    current[si] = "failed"
                    for j in applies:
                        w = self._set(w, commit, j, "skipped")
                w = self._update(w, commit, current=tuple(current))
                r = self._run(w, commit)
            if not all(r.status[j] in DONE for j in applies):
                return w
        return w

    def job_plan(self, w: World, r: Run, env: str) -> tuple[World, str]:
        action = self.decide(w, r.commit)
        if action == gate.FAIL:
            return w, "failure"
        k = self.envs.index(env)
        g, changed, base = list(r.gate), list(r.changed), list(r.base)
        g[k] = stage_review.APPLY if action == gate.APPLY else stage_review.SKIP
        changed[k] = action == gate.APPLY and self.config[r.commit][k] != w.state[k]
        base[k] = w.state[k]
        return self._update(w, r.commit, gate=tuple(g), changed=tuple(changed),
                            base=tuple(base)), "success"

    def job_apply(self, w: World, r: Run, env: str) -> tuple[World, str]:
        action = self.decide(w, r.commit)
        if action == gate.FAIL:
            return w, "failure"
        if action == gate.SKIP:
            return w, "success"
        k = self.envs.index(env)
        if w.state[k] != r.base[k]:  # sagectl refuses a saved plan AWS has moved away from
            return w, "failure"
        if env in self.merges[r.commit - 1].fails:  # rolled back / error: AWS keeps the old
            return w, "failure"
        state, applied = list(w.state), list(w.applied)
        state[k] = self.config[r.commit][k]
        applied[k] = (*applied[k], r.commit)
        return replace(w, state=tuple(state), applied=tuple(applied)), "success"

    def results(self, r: Run) -> dict[str, str]:
        """What the verdict job's ``needs`` holds: ``stages`` and one result per stage call."""
        out = {"stages": "success"}
        for si, members in enumerate(self.stages):
            jobs = [r.status[self.job(k, e)] for e in members for k in ("plan", "apply")]
            if all(s == "skipped" for s in jobs):
                out[f"stage-{si + 1}"] = "skipped"
            elif "cancelled" in jobs:
                out[f"stage-{si + 1}"] = "cancelled"
            elif "failure" in jobs:
                out[f"stage-{si + 1}"] = "failure"
            else:
                out[f"stage-{si + 1}"] = "success"
        return out

    def run_verdict(self, w: World, i: int) -> World:
        r = w.runs[i]
        tip_has_run = r.commit != w.merged and self.has_run(w, w.merged)
        d = gate.verdict(str(r.commit), str(w.merged), tip_has_run, self.results(r))
        w = self._update(w, r.commit, verdict="failure" if d.action == gate.FAIL else "success")
        if d.action == gate.FAIL:
            w = replace(w, reports=(*w.reports, (r.commit, w.merged)))
        return w


def explore(model: Model, limit: int = 2_000_000) -> tuple[int, list[World]]:
    """Every quiescent world reachable (all merged, nothing left to run), and the count seen."""
    seen: set[World] = set()
    stack = [model.start()]
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
    """What a quiescent world must satisfy: the last merge is applied everywhere, or reported
    red; no environment gets an older commit after a newer one; within a run, no stage starts
    after one that did not fully apply, and only environments with changes reach an apply."""
    out = []
    last = w.merged
    applied = w.state == model.config[last]
    reported = any(commit == last or tip == last for commit, tip in w.reports)
    if not applied and not reported:
        out.append(f"merge {last} dropped while every run is green: holds {w.state}, wants "
                   f"{model.config[last]}; runs: {w.runs}")
    for env, seq in zip(model.envs, w.applied, strict=True):
        if list(seq) != sorted(seq):
            out.append(f"{env} applied an older commit after a newer one: {seq}")
    for r in w.runs:
        stopped = None
        for si, members in enumerate(model.stages):
            jobs = {(k, e): r.status[model.job(k, e)] for e in members for k in ("plan", "apply")}
            if stopped is not None and any(s != "skipped" for s in jobs.values()):
                out.append(f"run {r.commit}: stage {si + 1} ran after stage {stopped} did "
                           f"not fully apply: {r.status}")
            if stopped is None and (any(s in BAD for s in jobs.values())
                                    or r.current[si] != "true"):
                stopped = si + 1
            for e in members:
                if jobs[("apply", e)] != "skipped" and not r.changed[model.envs.index(e)]:
                    out.append(f"run {r.commit}: {e} went to its apply (and its reviewers) "
                               "without changes")
    return out
