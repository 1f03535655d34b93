"""A clock for tests of threads of one apply that run at once (bakes sharing alarm reads).

``tests/apply/test_progress.py``'s ``SteppingClock`` advances the frozen emulator by what each
sleep asks, which is exact for one thread at a time. With several, a sleep may only end when no
other thread can still act before it: ``LockstepClock`` moves simulated time only when every
member thread is blocked, asleep on it (``sleep``) or waiting for another member (``wait``:
a bake waiting for the alarm read another bake leads), and then straight to the earliest
wake-up. What the threads do in between takes no simulated time, so the timeline, and every
call made on it, is the same whatever the machine's speed or load.
"""

from __future__ import annotations

import threading

from sagemaker_emulator import Emulator

LOOK = 0.01
"""Real seconds between a blocked thread's looks (a set event does not notify the clock)."""


class LockstepClock:
    def __init__(self, emu: Emulator) -> None:
        emu.freeze()
        self.emu = emu
        self.stop = threading.Event()  # the Clock protocol's stop request (never set here)
        self._cond = threading.Condition()
        self._members: set[int] = set()
        self._sleeping: dict[int, float] = {}  # thread -> when it wakes
        self._waiting: dict[int, threading.Event] = {}  # thread -> what it waits for

    def now(self) -> float:
        return float(self.emu.now())

    def join(self) -> None:
        """The calling thread is a member from now on (until ``leave``)."""
        with self._cond:
            self._members.add(threading.get_ident())

    def leave(self) -> None:
        with self._cond:
            self._members.discard(threading.get_ident())
            self._advance()

    def sleep(self, seconds: float) -> None:
        me = threading.get_ident()
        with self._cond:
            until = self.now() + max(0.0, seconds)
            self._sleeping[me] = until
            try:
                while self.now() < until:
                    self._advance()
                    self._cond.wait(LOOK)
            finally:
                del self._sleeping[me]

    def wait(self, event: threading.Event) -> None:
        me = threading.get_ident()
        with self._cond:
            self._waiting[me] = event
            try:
                while not event.is_set():
                    self._advance()
                    self._cond.wait(LOOK)
            finally:
                del self._waiting[me]

    def _blocked(self, thread: int, now: float) -> bool:
        if thread in self._sleeping:
            return self._sleeping[thread] > now  # one whose time has come is about to run
        event = self._waiting.get(thread)
        return event is not None and not event.is_set()

    def _advance(self) -> None:
        """Under the lock: when every member is blocked, time jumps to the first wake-up."""
        now = self.now()
        if not self._members or not all(self._blocked(m, now) for m in self._members):
            return
        wakes = [self._sleeping[m] for m in self._members if m in self._sleeping]
        if wakes:
            self.emu.advance(min(wakes) - now)
            self._cond.notify_all()
