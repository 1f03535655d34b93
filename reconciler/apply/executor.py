"""Executing a plan: changes on their dependency graph, independent ones in parallel (bounded),
the steps of one change in order; deletions last, in reverse dependency order.

A change runs when everything it depends on was applied; if a dependency did not apply, the
change waits (it is reported, not attempted). Each kind runs its own changes
(``Kind.apply_change``): the endpoint kind with leases, journal, verification, bake and rollback;
simple kinds step by step with an undo log. When an endpoint change rolls back, the changes made
in this apply only for it (its new models) are undone too, newest first, so what stays is
consistent. Knows no SageMaker.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from reconciler.apply.context import (
    APPLIED,
    FAILED,
    RANK,
    ROLLED_BACK,
    WAITING,
    ApplyContext,
    Outcome,
)
from reconciler.apply.steps import UndoLog
from reconciler.kinds import KINDS
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


def execute(actx: ApplyContext, plan: Plan) -> ApplyResult:
    result = ApplyResult()
    lock = threading.Lock()
    undo_logs: dict[str, UndoLog] = {}
    outcomes: dict[str, Outcome] = {}

    def run(change: ResourceChange) -> Outcome:
        kind = KINDS[change.kind]
        if change.waits:
            return Outcome(change.address, WAITING, change.waits)
        log = UndoLog()
        with lock:
            undo_logs[change.address] = log
        actx.events.emit("start", change.address, action=change.action_reason,
                         message=f"{'/'.join(change.actions)} ({change.action_reason})")
        try:
            outcome = kind.apply_change(actx, change, log)
        except Exception as err:  # an unexpected error must not lose the other changes
            undone = log.run(actx, change.address)
            outcome = Outcome(change.address, FAILED, f"{type(err).__name__}: {err}",
                              {"undo_failures": undone})
        return outcome

    forward = [c for c in plan.resource_changes if not _is_deletion(c)]
    deletions = [c for c in plan.resource_changes if _is_deletion(c)]
    addresses = {c.address for c in forward}
    pending = {c.address: c for c in forward}
    running: dict[Future[Outcome], ResourceChange] = {}

    with ThreadPoolExecutor(max_workers=max(1, actx.options.concurrency),
                            thread_name_prefix="sagectl-apply") as pool:
        while pending or running:
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
            if not running:
                continue
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                change = running.pop(future)
                outcome = future.result()
                outcomes[change.address] = outcome
                if outcome.status == ROLLED_BACK or outcome.details.get("undone"):
                    _undo_dependencies(actx, plan, change, outcomes, undo_logs)
        for change in deletions:
            outcomes[change.address] = run(change)

    for change in plan.resource_changes:
        outcome = outcomes[change.address]
        actx.events.emit("outcome", change.address, status=outcome.status, reason=outcome.reason,
                         message=f"{outcome.status}" + (f": {outcome.reason}"
                                                        if outcome.reason else ""))
        result.outcomes.append(outcome)
    return result


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
