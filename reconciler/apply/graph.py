"""Executing a plan: changes on their dependency graph, independent ones in parallel (bounded),
the steps of one change in order; deletions last, in reverse dependency order.

A deletion runs only when every change that depends on the resource it deletes (its deletion,
which went first) applied; otherwise it is reported as not started, naming that change (a
component whose deletion failed keeps its endpoint and model).

A change runs when everything it depends on was applied; if a dependency did not apply, the
change waits (it is reported, not attempted). Every change is leased first (``leases.py``): a
resource another live run holds is not touched (the change waits, naming the holder), and a
change's lease is kept until the changes that depend on it have finished. Every change's steps
run in ``steps.py`` (``run_steps``), with its kind's hooks (``Kind.step_hooks``: the endpoint's
journal, waits, verification, bake and rollback; the pipeline's wait for its execution), each
executed step's planned undo recorded in the change's undo log. When an endpoint change rolls
back, the changes made in this apply only for it (its new models) are undone too, newest first,
so what stays is consistent. Knows no SageMaker.

Asked to stop (``clock.Stopped``: the first Ctrl-C or SIGTERM), the graph starts no change and
no step more; the changes in flight stop at their next step or wait (their kind's journal says
what AWS is still doing), and ``Stopped`` goes up to the command once they have, or after
``STOP_GRACE`` seconds for one stuck in an AWS call. This run's leases are then released marked
"stopped", so the next run takes them over at once and resumes from the journal.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field

from reconciler.apply.clock import Stopped, check
from reconciler.apply.context import (
    APPLIED,
    FAILED,
    RANK,
    ROLLED_BACK,
    WAITING,
    ApplyContext,
    Outcome,
)
from reconciler.apply.leases import RunLeases
from reconciler.apply.pool import DaemonPool
from reconciler.apply.state import LeaseHeld, StateError
from reconciler.apply.steps import UndoLog, run_steps
from reconciler.contract import Registry
from reconciler.plan.model import Plan, ResourceChange


@dataclass
class ApplyResult:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def worst(self) -> str:
        return max((o.status for o in self.outcomes), key=RANK.__getitem__, default=APPLIED)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def _is_deletion(change: ResourceChange) -> bool:
    return change.actions == ["delete"]


def execute(actx: ApplyContext, plan: Plan, kinds: Registry) -> ApplyResult:
    """Apply ``plan``, each change run by its kind in ``kinds``."""
    leases = RunLeases(actx)
    try:
        result = _execute(actx, plan, kinds, leases)
    except Stopped:
        leases.close(stopped=True)
        raise
    except BaseException:
        leases.close()
        raise
    leases.close()
    return result


STOP_GRACE = 10.0
"""Real seconds a run asked to stop waits for its changes in flight to reach their next step or
wait (an AWS call with its retries) before it stops without them."""
_LOOK = 0.2
"""Real seconds between looks at the stop request while changes run."""


def _stop(running: dict[Future[Outcome], ResourceChange]) -> None:
    """Start nothing more, let the changes in flight reach their next step or wait, raise
    ``Stopped``."""
    for future in running:
        future.cancel()  # queued, not started: never starts
    wait(list(running), timeout=STOP_GRACE)
    raise Stopped()


def _execute(actx: ApplyContext, plan: Plan, kinds: Registry, leases: RunLeases
             ) -> ApplyResult:
    result = ApplyResult()
    lock = threading.Lock()
    undo_logs: dict[str, UndoLog] = {}
    outcomes: dict[str, Outcome] = {}
    held: dict[str, str] = {}
    """Address -> lease key of the changes this run holds a lease for."""

    def run(change: ResourceChange) -> Outcome:
        kind = kinds[change.kind]
        if change.waits:
            return Outcome(change.address, WAITING, change.waits)
        key = kind.lease_key(change.address, change.name)
        try:
            leases.acquire(key, change.address)
        except LeaseHeld as busy:
            return Outcome(change.address, WAITING, f"leased by another run: {busy}")
        except StateError as lost:  # e.g. live state disappeared: nothing can be leased
            return Outcome(change.address, FAILED, str(lost))
        log = UndoLog(key)
        with lock:
            undo_logs[change.address] = log
            held[change.address] = key
        actx.events.emit("start", change.address, action=change.action_reason,
                         message=f"{'/'.join(change.actions)} ({change.action_reason})")
        try:
            outcome = run_steps(actx, change, log, kind.step_hooks(actx, change, log))
        except Exception as err:  # an unexpected error must not lose the other changes
            undone = log.run(actx, change.address)
            said = str(err) if isinstance(err, StateError) else f"{type(err).__name__}: {err}"
            outcome = Outcome(change.address, FAILED, said, {"undo_failures": undone})
        return outcome

    forward = [c for c in plan.resource_changes if not _is_deletion(c)]
    deletions = [c for c in plan.resource_changes if _is_deletion(c)]
    addresses = {c.address for c in forward}
    users = _users(forward)
    pending = {c.address: c for c in forward}
    running: dict[Future[Outcome], ResourceChange] = {}
    for address, outcome in _blocked(actx, kinds, forward, users).items():
        outcomes[address] = outcome
        del pending[address]

    def release_finished() -> None:
        """Release the leases nothing can undo any more: the change and every change that
        depends on it have finished."""
        with lock:
            done = [(a, k) for a, k in held.items()
                    if a in outcomes and all(u in outcomes for u in users.get(a, ()))]
            for address, _ in done:
                del held[address]
        leases.release_many([key for _, key in done])  # one call for all (one per 100)

    pool = DaemonPool(actx.options.concurrency)
    try:
        while pending or running:
            if actx.clock.stop.is_set():
                _stop(running)
            for address, change in list(pending.items()):
                deps = [d for d in change.depends_on if d in addresses]
                if any(d in pending or d in {c.address for c in running.values()}
                       for d in deps):
                    continue
                blocked = [d for d in deps if outcomes[d].status != APPLIED]
                del pending[address]
                if blocked:
                    outcomes[address] = Outcome(address, WAITING, "not started: "
                                                + ", ".join(f"{d} {outcomes[d].status}"
                                                            for d in blocked))
                    continue
                running[pool.submit(run, change)] = change
            release_finished()
            if not running:
                continue
            done, _ = wait(list(running), timeout=_LOOK, return_when=FIRST_COMPLETED)
            for future in done:
                if isinstance(future.exception(), Stopped):
                    _stop(running)
                change = running.pop(future)
                outcome = future.result()
                outcomes[change.address] = outcome
                if outcome.status == ROLLED_BACK or outcome.details.get("undone"):
                    _undo_dependencies(actx, plan, change, outcomes, undo_logs)
            release_finished()
        before = _users(plan.resource_changes)
        for change in deletions:
            # what depends on this resource went first (deletions run in reverse): if it did
            # not go, deleting this one would pull the floor from under it
            blocked = [u for u in before.get(change.address, ())
                       if u in outcomes and outcomes[u].status != APPLIED]
            if blocked:
                outcomes[change.address] = Outcome(change.address, WAITING, "not started: " + (
                    ", ".join(f"{u} {outcomes[u].status}" for u in blocked))
                    + " (it depends on this resource)")
                continue
            check(actx.clock)
            outcomes[change.address] = run(change)
            release_finished()
    finally:
        pool.shutdown()

    for change in plan.resource_changes:
        outcome = outcomes[change.address]
        actx.events.emit("outcome", change.address, status=outcome.status, reason=outcome.reason,
                         message=f"{outcome.status}" + (f": {outcome.reason}"
                                                        if outcome.reason else ""))
        result.outcomes.append(outcome)
    return result


def _users(changes: list[ResourceChange]) -> dict[str, list[str]]:
    """Address -> the changes of ``changes`` that depend on it."""
    addresses = {c.address for c in changes}
    users: dict[str, list[str]] = {}
    for change in changes:
        for dep in change.depends_on:
            if dep in addresses:
                users.setdefault(dep, []).append(change.address)
    return users


def _blocked(actx: ApplyContext, kinds: Registry, changes: list[ResourceChange],
             users: dict[str, list[str]]) -> dict[str, Outcome]:
    """The changes that must not start in this run (``Kind.blocked``: a quarantined endpoint),
    and the resources the plan creates only for them, which are not created either (they would
    be recreated, unused, run after run). A change that waits in the plan (an endpoint AWS is
    updating, a version waiting for approval) is not one of them: it goes ahead as soon as the
    wait is over, with what was made for it."""
    found: dict[str, Outcome] = {}
    for change in changes:
        if change.waits:
            continue
        try:
            refused = kinds[change.kind].blocked(actx, change)
        except Exception:  # the change's own run checks again, and reports it
            refused = None
        if refused is not None:
            found[change.address] = refused
    grew = True
    while grew:
        grew = False
        for change in changes:
            mine = users.get(change.address) or []
            if change.address in found or "create" not in change.actions or not mine or \
                    not all(u in found for u in mine):
                continue
            found[change.address] = Outcome(change.address, WAITING, (
                f"not created: only {', '.join(mine)} use{'s' if len(mine) == 1 else ''} it, "
                f"and {'it waits' if len(mine) == 1 else 'they wait'} "
                f"({found[mine[0]].reason})"))
            grew = True
    return found


def _undo_dependencies(actx: ApplyContext, plan: Plan, failed: ResourceChange,
                       outcomes: dict[str, Outcome], logs: dict[str, UndoLog]) -> None:
    """Undo, newest first, the changes made only for a change that rolled back."""
    users: dict[str, list[str]] = {}
    for change in plan.resource_changes:
        for dep in change.depends_on:
            users.setdefault(dep, []).append(change.address)
    for dep in reversed(failed.depends_on):
        others = [u for u in users.get(dep, []) if u != failed.address
                  and outcomes.get(u, Outcome(u, APPLIED)).status != ROLLED_BACK
                  and not outcomes.get(u, Outcome(u, APPLIED)).details.get("undone")]
        log = logs.get(dep)
        if others or log is None or not log.records:
            continue
        failures = log.run(actx, dep)
        previous = outcomes[dep]
        outcomes[dep] = Outcome(dep, ROLLED_BACK if not failures else FAILED,
                                f"undone with {failed.address}" + (
                                    f"; could not undo: {'; '.join(failures)}" if failures
                                    else ""), previous.details)
