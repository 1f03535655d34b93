"""What ``sagectl apply`` shows while it works, drawn from the apply's events
(``reconciler.apply.context.Events``); ``--json`` bypasses this module and prints the events.

- In a terminal (stderr is a TTY, ``NO_COLOR`` unset, ``TERM`` not ``dumb``): a live view
  (``rich.live.Live``) with one line per change in flight, its phase (the last step done, the
  deployment's phase from the wait's DescribeEndpoint, "canary wait 4:10 left", "baking 1:30
  left", "rolling back") and its elapsed time; what must stay on screen (failures, rollbacks,
  warnings, each outcome) is printed above it. At the end a table of every change with its
  outcome and reason, and after the summary the changes that wait, with why.
- Otherwise (CI, a pipe, ``NO_COLOR``): one plain line per event, each starting with the time
  (``HH:MM:SS``, UTC), no control codes at all.

Times come from the apply's clock (``now``): the simulated clock on the emulator, so the
elapsed times agree with the "left" times the waits report.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from reconciler.apply.clock import clock_text

OUTCOME_STYLE = {"applied": "green", "waiting": "yellow", "rolled_back": "magenta",
                 "failed": "red", "degraded": "bold red"}
SHOWN = {"failed", "rollback", "rolled_back", "undo", "warning", "quarantine", "lease",
         "resume", "resumed", "refused", "plan_errors", "error"}
"""Events the live view prints above the changes in flight (the rest only move a phase)."""


def wants_live(stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    """A live view only for a person at a terminal: not for CI logs, pipes, ``NO_COLOR``
    (https://no-color.org) or ``TERM=dumb``."""
    env = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in env and \
        env.get("TERM", "") != "dumb"


def _words(op: str) -> str:
    """``sagemaker:CreateEndpointConfig`` -> ``create endpoint config``."""
    name = op.split(":", 1)[-1]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def phase_of(record: dict[str, Any]) -> str | None:
    """The phase a change is in after ``record``; None: the event does not move it."""
    event = record.get("event")
    if event == "start":
        return f"starting ({record.get('action', '')})"
    if event == "step":
        return f"{_words(str(record.get('op', '')))} done"
    if event == "progress":
        return str(record.get("phase") or record.get("message") or "waiting")
    if event == "bake":
        left = record.get("seconds_left")
        return f"baking {clock_text(left)} left" if left is not None else "baking"
    if event == "status":
        return f"status {record['status']}" if record.get("status") else \
            str(record.get("message") or "")
    if event == "wait":
        return "waiting for the pipeline execution"
    if event == "verified":
        return "verified"
    if event == "rollback":
        return "rolling back"
    if event == "failed":
        return "failed: undoing"
    if event == "resume":
        return f"resuming ({record.get('phase')})"
    if event == "undo":
        return "undoing"
    return None


@dataclass
class Change:
    address: str
    started: float
    phase: str = ""
    status: str = ""
    reason: str = ""
    ended: float | None = None
    ran: bool = False
    """Started in this run (a change that waits never does)."""


class ApplyView:
    """The events of one apply, remembered per change; subclasses draw them."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self.now = now
        self.changes: dict[str, Change] = {}
        self._lock = threading.RLock()

    def __call__(self, record: dict[str, Any]) -> None:
        with self._lock:
            at = self.now()
            address = str(record.get("address") or "")
            if address:
                change = self.changes.get(address)
                if change is None:
                    change = self.changes[address] = Change(address, at)
                if record.get("event") == "start":
                    change.started, change.ran = at, True
                phase = phase_of(record)
                if phase:
                    change.phase = phase
                if record.get("event") in ("outcome", "resumed"):
                    change.status = str(record.get("status") or "")
                    change.reason = str(record.get("reason") or "")
                    change.ended = at
            self.show(record, at)

    def show(self, record: dict[str, Any], at: float) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def in_flight(self) -> list[Change]:
        return [c for c in self.changes.values() if c.ended is None and c.phase]

    def finished(self) -> list[Change]:
        return [c for c in self.changes.values() if c.status]

    def start(self) -> None:
        """The apply's steps begin (the live view starts drawing)."""

    def stop(self) -> None:
        """The apply's steps are over (the live view stops drawing)."""

    def table(self) -> None:
        """Every change with its outcome and reason (before the summary line)."""

    def waiting(self) -> None:
        """The changes that wait, with why (after the summary line)."""


def _line(record: dict[str, Any]) -> str:
    data = {k: v for k, v in record.items() if k not in ("event", "address")}
    message = data.get("message") or ", ".join(f"{k}={v}" for k, v in data.items()
                                               if k != "message")
    address = record.get("address") or ""
    return f"{address + ': ' if address else ''}{message or record.get('event')}"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|\x1b\[[0-9;?]*[A-Za-z]")


class PlainView(ApplyView):
    """One line per event, each starting with the time: for CI logs and ``NO_COLOR``."""

    def __init__(self, out: IO[str], now: Callable[[], float] = time.time) -> None:
        super().__init__(now)
        self.out = out

    def stamp(self, at: float) -> str:
        return time.strftime("%H:%M:%S", time.gmtime(at))

    def write(self, text: str, at: float | None = None) -> None:
        with self._lock:
            stamp = self.stamp(self.now() if at is None else at)
            for line in text.splitlines() or [""]:
                self.out.write(f"{stamp} {_CONTROL.sub('', line)}\n")
            self.out.flush()

    def show(self, record: dict[str, Any], at: float) -> None:
        self.write(_line(record), at)

    def waiting(self) -> None:
        for change in self.finished():
            if change.status == "waiting":
                self.write(f"waiting: {change.address}: {change.reason}")


class LiveView(ApplyView):
    """The terminal view: ``rich.live.Live`` over the changes in flight."""

    def __init__(self, console: Any, now: Callable[[], float] = time.time) -> None:
        super().__init__(now)
        self.console = console
        self.live: Any = None

    def render(self) -> Any:
        """The changes in flight: address, phase, elapsed time."""
        from rich.table import Table
        from rich.text import Text

        with self._lock:
            now = self.now()
            flying = self.in_flight()
            done = len(self.finished())
            grid = Table.grid(padding=(0, 2))
            grid.add_column(no_wrap=True)
            grid.add_column(ratio=1, overflow="ellipsis", no_wrap=True)
            grid.add_column(justify="right", no_wrap=True)
            for change in flying:
                grid.add_row(Text(change.address, style="bold"), Text(change.phase),
                             Text(clock_text(now - change.started), style="dim"))
            head = Text(f"Applying: {len(flying)} in flight, {done} done", style="cyan")
            table = Table.grid()
            table.add_row(head)
            table.add_row(grid)
            return table

    def show(self, record: dict[str, Any], at: float) -> None:
        from rich.text import Text

        event = record.get("event")
        if event == "outcome" or event == "resumed":
            status = str(record.get("status") or "")
            line = Text(f"{record.get('address')}: ", style="bold")
            line.append(status.replace("_", " "), style=OUTCOME_STYLE.get(status, ""))
            if record.get("reason"):
                line.append(f": {record['reason']}")
            self.console.print(line)
        elif event in SHOWN:
            style = "red" if event in ("failed", "error", "plan_errors") else "yellow"
            self.console.print(Text(_line(record), style=style))
        if self.live is not None:
            self.live.refresh()

    def start(self) -> None:
        from rich.live import Live

        self.live = Live(get_renderable=self.render, console=self.console, transient=True,
                         refresh_per_second=4, redirect_stdout=False, redirect_stderr=False)
        self.live.start()

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def table(self) -> None:
        from rich.table import Table
        from rich.text import Text

        changes = self.finished()
        if not changes:
            return
        table = Table(title=None, show_edge=False, expand=False)
        table.add_column("Change", no_wrap=True)
        table.add_column("Outcome", no_wrap=True)
        table.add_column("Time", justify="right", no_wrap=True)
        table.add_column("Reason", overflow="fold")
        for change in changes:
            took = clock_text((change.ended or change.started) - change.started) \
                if change.ran else "-"
            table.add_row(change.address,
                          Text(change.status.replace("_", " "),
                               style=OUTCOME_STYLE.get(change.status, "")),
                          took, change.reason or "-")
        self.console.print(table)

    def waiting(self) -> None:
        from rich.text import Text

        waiting = [c for c in self.finished() if c.status == "waiting"]
        if not waiting:
            return
        self.console.print(Text("Waiting (not started):", style="yellow"))
        for change in waiting:
            self.console.print(Text(f"  {change.address}: {change.reason}"))


def make_view(stream: IO[str], environ: Mapping[str, str] | None = None) -> ApplyView:
    """The live view in a terminal, plain timestamped lines elsewhere."""
    if wants_live(stream, environ):
        from rich.console import Console

        return LiveView(Console(file=stream, stderr=True))
    return PlainView(stream)
