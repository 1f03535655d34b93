"""Stopping ``sagectl apply`` cleanly on the first Ctrl-C (SIGINT) or SIGTERM (what a CI system
sends to cancel a job), and at once on the second.

The first signal only sets the clock's stop request (``reconciler/apply/clock.py``) and says at
once, on stderr, that sagectl is stopping: the apply starts nothing new, its changes in flight
stop at their next step or wait with their journal as it is (AWS goes on with what was sent),
its leases are released marked "stopped, resumable", and the command exits 130 (SIGINT) or 143
(SIGTERM) with the command that resumes. The second signal exits immediately (``os._exit``):
the journal is in the state table already, written before every call that starts something.

The handler writes with ``os.write``: a signal handler runs between two bytecodes of the main
thread, which may be holding the lock of the stream or of the events.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal:
    def __init__(self) -> None:
        self.signum: int | None = None
        """The first signal received (None: none)."""
        self._stop: threading.Event | None = None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "signal"

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process it ended: 130, 143."""
        return 128 + (self.signum or signal.SIGINT)

    @contextmanager
    def watching(self, stop: threading.Event) -> Iterator[None]:
        """While inside: the first SIGINT/SIGTERM sets ``stop``, the second exits at once.
        Outside (e.g. the confirmation prompt), the previous handlers apply."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signals can only be handled in the main thread (e.g. under some tests)
            return
        self._stop = stop
        if self.signum is not None:
            stop.set()
        previous = {s: signal.signal(s, self._handle) for s in SIGNALS}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            os.write(2, (f"sagectl: {signal.Signals(signum).name} received: stopping. No new "
                         "change or step starts; SageMaker operations already in flight keep "
                         "running on AWS (the journal records them; the next apply resumes "
                         "them). Press Ctrl-C again to exit at once.\n").encode())
            if self._stop is not None:
                self._stop.set()
            return
        os.write(2, (f"sagectl: {signal.Signals(signum).name} received again: exiting now; the "
                     "journal is kept, and this run's leases expire by themselves or are "
                     "taken over by the next run on this host (its process is gone).\n"
                     ).encode())
        os._exit(128 + (self.signum or signum))
