"""The leases one apply holds, and keeping them alive.

The graph leases every change before running it (``Kind.lease_key`` names the lease) and
keeps the lease for as long as the change's undo may still be needed: until every change of the
plan that depends on it has finished (a dependent that rolls back undoes it). Holding the lease
is what makes "this run created it and still owns it" true when an undo runs: no other run can
have acted on the resource in between, or the undo is refused (``UndoLog.run``).

A keeper thread renews every held lease when a third of its duration has passed on the apply's
clock (wall time on AWS, simulated time on the emulator), so a long wait elsewhere in the run
(a canary, a pipeline execution) cannot let a finished change's lease expire. It renews them all
in one DynamoDB transaction (``StateTable.heartbeat_many``): 100 leases cost one call per
renewal, not 100. The steps' own heartbeats (an endpoint's waits) renew only leases not kept
here (a resume's). Knows no SageMaker.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from reconciler.apply.state import LeaseHeld

if TYPE_CHECKING:
    from reconciler.apply.context import ApplyContext

_MIN_POLL, _MAX_POLL = 0.01, 1.0
"""Real seconds between looks at the clock (adapted to how fast the clock runs)."""


class RunLeases:
    """Leases held by one run: key -> address."""

    def __init__(self, actx: ApplyContext) -> None:
        self.actx = actx
        self.seconds = actx.options.lease_seconds
        self.held: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None
        actx.leases = self  # the steps' own heartbeats leave the leases kept here to _keep
    def acquire(self, key: str, address: str) -> None:
        """Take the lease or raise ``LeaseHeld``."""
        actx = self.actx
        actx.state.acquire(key, actx.run_id, actx.owner, self.seconds, address)
        with self._lock:
            self.held[key] = address
            if self._keeper is None:
                self._keeper = threading.Thread(target=self._keep, daemon=True,
                                                name="sagectl-leases")
                self._keeper.start()

    def keeps(self, key: str) -> bool:
        """Whether ``key`` is held, and so renewed, here."""
        with self._lock:
            return key in self.held and not self._stop.is_set()

    def release(self, key: str, stopped: bool = False) -> None:
        """Let go of ``key`` (``stopped``: marked "stopped, resumable", see
        ``StateTable.release``). A release that fails is reported, not raised: the lease
        expires by itself, and what this run does next must not depend on it."""
        with self._lock:
            address = self.held.pop(key, None)
        if address is None:
            return
        try:
            self.actx.state.release(key, self.actx.run_id, stopped=stopped)
        except Exception as err:
            self.actx.events.emit("lease", address, key=key,
                                  message=f"could not release the lease {key}: {err} "
                                          "(it expires by itself)")

    def release_many(self, keys: list[str]) -> None:
        """``release`` of ``keys`` at once (one call per 100: ``StateTable.release_many``);
        reported, not raised, like ``release``."""
        with self._lock:
            held = {k: self.held.pop(k) for k in keys if k in self.held}
        if not held:
            return
        try:
            self.actx.state.release_many(sorted(held), self.actx.run_id)
        except Exception as err:
            for key, address in held.items():
                self.actx.events.emit("lease", address, key=key,
                                      message=f"could not release the lease {key}: {err} "
                                              "(it expires by itself)")

    def close(self, stopped: bool = False) -> None:
        """Stop renewing and release everything still held (``stopped``: the run was asked to
        stop; its leases are marked so, and the next run takes them over at once)."""
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join()
        for key in list(self.held):
            self.release(key, stopped=stopped)

    def renew(self) -> None:
        """Heartbeat every held lease, all in one transaction (per 100); a lease another run
        took is dropped (and reported): when the transaction is cancelled, each of its leases
        is renewed on its own, which finds it."""
        with self._lock:
            held = dict(self.held)
        if not held:
            return
        renewed = set(self.actx.state.heartbeat_many(sorted(held), self.actx.run_id,
                                                     self.seconds))
        for key, address in held.items():
            with self._lock:
                if key in renewed or key not in self.held:  # renewed, or released meanwhile
                    continue
            try:
                self.actx.state.heartbeat(key, self.actx.run_id, self.seconds)
            except LeaseHeld as lost:
                with self._lock:
                    if self.held.pop(key, None) is None:  # released meanwhile: not lost
                        continue
                self.actx.events.emit("lease", address, key=key, message=f"lease lost: {lost}")

    def _keep(self) -> None:
        clock, every = self.actx.clock, self.seconds / 3
        last = clock.now()
        real, seen, poll = time.monotonic(), last, _MIN_POLL
        while not self._stop.wait(poll):
            now = clock.now()
            if now - last >= every:
                last = now
                try:
                    self.renew()
                except Exception as err:  # e.g. throttled: the next round tries again
                    self.actx.events.emit("lease", "", message=f"could not renew leases: {err}")
            # look again after a fraction of what is left, at the clock's observed pace
            moment = time.monotonic()
            rate = (now - seen) / max(moment - real, 1e-6)
            real, seen = moment, now
            left = max(every - (now - last), 0.0)
            poll = min(_MAX_POLL, max(_MIN_POLL, left / rate / 4 if rate > 0 else _MAX_POLL))
