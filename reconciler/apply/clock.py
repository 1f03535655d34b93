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

    def wait(self, event: threading.Event) -> None:
        """Block until ``event`` is set by another thread of the run (a bake waiting for the
        alarm read another bake leads, ``alarm_poller.py``); ``Stopped`` when the run is asked
        to stop. A wait, like a sleep, goes through the clock so that a test's clock knows
        which threads of the run are blocked (``tests/apply/lockstep.py``)."""
        ...


def wait_for(clock: Any, event: threading.Event) -> None:
    """``Clock.wait`` for clocks that only wait for the event (the wall clock, the
    emulator's): look every 50 ms real whether the run was asked to stop."""
    while not event.wait(0.05):
        if clock.stop.is_set():
            raise Stopped()


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

    def wait(self, event: threading.Event) -> None:
        wait_for(self, event)


class EmulatorClock:
    """The emulator's simulated clock (in process or served: anything with ``now()``).

    A sleep looks at the clock again after the real time the rest of it should take at the
    pace the clock was last seen to run (simulated seconds per real second, measured between
    looks), so it ends close to the simulated instant asked for whatever the time factor. (It
    used to double its real wait between looks up to 50 ms: at a time factor of 0.0005 that
    is 100 simulated seconds, and a 15 s sleep ended about 13 s late, a 60 s one 64 s late.)
    A frozen clock (no pace) is looked at every ``real_step`` doubling up to ``MAX_STEP``."""

    MIN_STEP, MAX_STEP = 0.0005, 0.05
    """Real seconds between looks at the clock, at least and at most."""

    def __init__(self, emulator: Any, real_step: float = 0.002) -> None:
        self.emulator = emulator
        self.real_step = real_step
        self.stop = threading.Event()
        self._pace = 0.0
        """Simulated seconds per real second, as last measured (0: unknown or frozen)."""

    def now(self) -> float:
        return float(self.emulator.now())

    def wait(self, event: threading.Event) -> None:
        wait_for(self, event)

    def _step(self, left: float, pace: float, previous: float) -> float:
        if pace > 0:
            return min(self.MAX_STEP, max(self.MIN_STEP, left / pace))
        return min(previous * 2, self.MAX_STEP) if previous else self.real_step

    def sleep(self, seconds: float) -> None:
        check(self)
        seen, looked = self.now(), time.monotonic()
        until = seen + seconds
        step = self._step(until - seen, self._pace, 0.0)
        while seen < until:
            if self.stop.wait(step):
                raise Stopped()
            now, moment = self.now(), time.monotonic()
            pace = (now - seen) / max(moment - looked, 1e-9)
            if pace > 0:
                self._pace = pace
            seen, looked = now, moment
            step = self._step(until - now, pace, step)


def clock_text(seconds: float) -> str:
    """A duration as a clock shows it: ``4:10``, ``1:02:03`` past an hour."""
    total = max(0, int(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
