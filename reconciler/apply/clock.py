"""Time for apply: deadlines, polling and bakes. Real AWS runs on the wall clock; the emulator
runs on its simulated clock (a 10-minute canary takes 0.6 s at a time factor of 0.001), so every
wait in apply goes through a ``Clock``.

Because every wait sleeps here, the clock also carries the request to stop (``stop``, set on
the first Ctrl-C or SIGTERM): a sleep that sees it raises ``Stopped`` at once, whatever it was
waiting for, so a run that is asked to stop starts nothing more and leaves its journal as it is
(the in-flight AWS operation goes on; the next apply resumes it)."""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol


class Stopped(BaseException):
    """The run was asked to stop (a signal). A ``BaseException``, like ``KeyboardInterrupt``:
    no ``except Exception`` on the way (a failed step, a rollback) may take it for a failure
    and start undoing things; it goes straight up to the command, which reports it."""


class Clock(Protocol):
    stop: threading.Event

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


def check(clock: Any) -> None:
    """Raise ``Stopped`` if ``clock``'s run was asked to stop (before starting anything new)."""
    stop = getattr(clock, "stop", None)
    if stop is not None and stop.is_set():
        raise Stopped()


class WallClock:
    def __init__(self) -> None:
        self.stop = threading.Event()

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if self.stop.wait(max(0.0, seconds)):
            raise Stopped()


class EmulatorClock:
    """The emulator's simulated clock (in process or served: anything with ``now()``)."""

    def __init__(self, emulator: Any, real_step: float = 0.002) -> None:
        self.emulator = emulator
        self.real_step = real_step
        self.stop = threading.Event()

    def now(self) -> float:
        return float(self.emulator.now())

    def sleep(self, seconds: float) -> None:
        check(self)
        until = self.now() + seconds
        step = self.real_step
        while self.now() < until:
            if self.stop.wait(step):
                raise Stopped()
            step = min(step * 2, 0.05)


def clock_text(seconds: float) -> str:
    """A duration as a clock shows it: ``4:10``, ``1:02:03`` past an hour."""
    total = max(0, int(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
