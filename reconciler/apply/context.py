"""What every step of an apply can use, and the outcome vocabulary. Knows no SageMaker."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from reconciler.apply.clock import Clock
from reconciler.apply.state import LEASE_SECONDS, StateTable
from reconciler.aws import Aws
from reconciler.defaults import DEFAULT_PARALLEL

# Outcomes, from best to worst; the exit code follows the worst one.
APPLIED = "applied"
"""Every step ran and was verified."""
WAITING = "waiting"
"""Not started: the resource is busy, quarantined, leased by another run, or a dependency failed."""
ROLLED_BACK = "rolled_back"
"""Something failed; the resource was returned to its last known good state (verified)."""
FAILED = "failed"
"""Something failed and could not be undone completely: look at the reason."""
DEGRADED = "degraded"
"""AWS left the resource Failed or UpdateRollbackFailed: a human must act."""

RANK = {APPLIED: 0, WAITING: 1, ROLLED_BACK: 2, FAILED: 3, DEGRADED: 4}


class StepFailed(Exception):
    """A step did not reach its verified result (the message says why, in plain words)."""

    keeps_changes = False
    """Set when what ran is deliberately not all undone: the change then ends failed, never
    rolled back."""


@dataclass
class Outcome:
    address: str
    status: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)



@dataclass
class ApplyOptions:
    concurrency: int = DEFAULT_PARALLEL
    """Independent endpoints changed at once."""
    poll_seconds: float = 15.0
    """How often waits and bakes look at AWS (simulated seconds on the emulator)."""
    force: bool = False
    """Apply even a quarantined spec digest (a human decided)."""
    automatic: bool = False
    """A scheduled run (drift --heal): quarantined digests are never re-applied."""
    keep_configs: int = 3
    lease_seconds: float = LEASE_SECONDS
    """How long a lease lasts without renewal (renewed every third of it while held)."""


class Events:
    """Progress and outcome events: readable lines, or one JSON object per line (``--json``),
    or handed to ``view`` (the command line's live or timestamped view, ``cli/apply_view.py``).

    Kinds of event (the ``event`` member): start, step, status, progress (a wait, at least
    every poll interval: ``phase``, ``seconds_left`` or null, ``elapsed``), bake, verified,
    failed, rollback, rolled_back, undo, lease, quarantine, warning, resume, wait, outcome, and
    the command's own (resumed, refused, plan_errors, error, summary)."""

    def __init__(self, json_lines: bool = False, out: IO[str] | None = None,
                 view: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.json_lines = json_lines
        self.out = out or sys.stderr
        self.view = view
        self._lock = threading.Lock()
        self.emitted: list[dict[str, Any]] = []

    def emit(self, event: str, address: str = "", **data: Any) -> None:
        record = {"event": event, "address": address, **data}
        with self._lock:
            self.emitted.append(record)
            if self.view is not None and not self.json_lines:
                self.view(record)
                return
            if self.json_lines:
                self.out.write(json.dumps(record, default=str, sort_keys=True) + "\n")
            else:
                message = data.get("message") or ", ".join(
                    f"{k}={v}" for k, v in data.items() if k not in ("message",))
                self.out.write(f"{address + ': ' if address else ''}{message or event}\n")
            self.out.flush()


@dataclass
class ApplyContext:
    aws: Aws
    state: StateTable
    clock: Clock
    run_id: str
    owner: str
    commit: str
    events: Events
    options: ApplyOptions = field(default_factory=ApplyOptions)

    def __post_init__(self) -> None:
        self._poller: Any = None
        self.leases: Any = None
        """The run's ``RunLeases`` (``leases.py``), once the graph runs: it renews the leases
        it holds; a heartbeat elsewhere (``kinds/endpoint/apply.py``, ``beat``) need not."""
        self._poller_lock = threading.Lock()

    @property
    def alarms(self) -> Any:
        """The run's ``AlarmPoller`` (``alarm_poller.py``): one DescribeAlarms for all bakes."""
        with self._poller_lock:
            if self._poller is None:
                from reconciler.apply.alarm_poller import AlarmPoller

                self._poller = AlarmPoller(self)
            return self._poller
