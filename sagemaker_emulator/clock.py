"""Simulated time for the emulator.

Durations in the emulator are simulated seconds ("an update takes 600 s"). The clock maps them to
real time with a *time factor*: real seconds per simulated second. ``1.0`` is real time (the demo
may use ``0.05``: a 10-minute update in 30 s); tests use ``0.001`` (600 s in 0.6 s) or freeze the
clock and ``advance`` it by hand for exact, deterministic timelines.

A thread can *pin* the clock (``with clock.pinned(t):``): its ``now()`` is then ``t`` while every
other thread still sees simulated time. CloudWatch uses it to replay an alarm's state change at the
evaluation instant it happened, so the endpoints watching the alarm react at that instant even when
the evaluation is only computed later (alarms are evaluated lazily, see ``cloudwatch.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


class Clock:
    def __init__(self, time_factor: float = 1.0) -> None:
        if time_factor <= 0:
            raise ValueError("time factor must be positive")
        self._lock = threading.Lock()
        self._time_factor = time_factor
        self._base_real = time.monotonic()
        self._base_sim = time.time()
        self._frozen = False
        self._pins = threading.local()

    @property
    def time_factor(self) -> float:
        return self._time_factor

    def _now_unlocked(self) -> float:
        if self._frozen:
            return self._base_sim
        return self._base_sim + (time.monotonic() - self._base_real) / self._time_factor

    def now(self) -> float:
        """Simulated time, in seconds since the epoch (``t`` in a thread that pinned it)."""
        pinned = getattr(self._pins, "at", None)
        if pinned is not None:
            return float(pinned)
        with self._lock:
            return self._now_unlocked()

    @contextmanager
    def pinned(self, t: float) -> Iterator[None]:
        """In this thread only, ``now()`` is ``t`` until the block ends."""
        previous = getattr(self._pins, "at", None)
        self._pins.at = t
        try:
            yield
        finally:
            self._pins.at = previous

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def _rebase(self) -> None:
        self._base_sim = self._now_unlocked()
        self._base_real = time.monotonic()

    def set_time_factor(self, time_factor: float) -> None:
        if time_factor <= 0:
            raise ValueError("time factor must be positive")
        with self._lock:
            self._rebase()
            self._time_factor = time_factor

    def freeze(self) -> None:
        """Stop simulated time; it then moves only by ``advance``."""
        with self._lock:
            self._rebase()
            self._frozen = True

    def unfreeze(self) -> None:
        with self._lock:
            self._base_real = time.monotonic()
            self._frozen = False

    @property
    def frozen(self) -> bool:
        return self._frozen

    def advance(self, seconds: float) -> None:
        """Jump simulated time forward."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._base_sim += seconds

    def real_seconds(self, simulated: float) -> float:
        return simulated * self._time_factor
