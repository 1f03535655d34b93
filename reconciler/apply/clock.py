"""Time for apply: deadlines, polling and bakes. Real AWS runs on the wall clock; the emulator
runs on its simulated clock (a 10-minute canary takes 0.6 s at a time factor of 0.001), so every
wait in apply goes through a ``Clock``."""

from __future__ import annotations

import time
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class WallClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class EmulatorClock:
    """The emulator's simulated clock (in process or served: anything with ``now()``)."""

    def __init__(self, emulator: Any, real_step: float = 0.002) -> None:
        self.emulator = emulator
        self.real_step = real_step

    def now(self) -> float:
        return float(self.emulator.now())

    def sleep(self, seconds: float) -> None:
        until = self.now() + seconds
        step = self.real_step
        while self.now() < until:
            time.sleep(step)
            step = min(step * 2, 0.05)


def clock_text(seconds: float) -> str:
    """A duration as a clock shows it: ``4:10``, ``1:02:03`` past an hour."""
    total = max(0, int(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
