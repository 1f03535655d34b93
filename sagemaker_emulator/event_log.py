"""What the emulated EventBridge did with the events AWS services emitted, for tests to read.

Two logs, kept in the process-wide ``STATE`` (cleared by ``Emulator.reset``) and read through
the controls ``emitted_events`` and ``api_destination_invocations`` (in process and over HTTP):

- every event a service emitted, with the rules it matched and what became of each target;
- every API destination invocation: the request as sent (secrets masked: the API key, a Basic
  password, connection parameters marked ``IsValueSecret``) and its outcome.

And the routes: ``route_host("api.github.com", "http://127.0.0.1:8123")`` delivers API
destination requests for ``https://api.github.com/...`` to a local stand-in instead. AWS requires
HTTPS endpoints, so a test's plain-HTTP fake server is reached only through a route; a host that
is neither routed nor loopback is never contacted (the emulator does not reach the internet
unless a route says so).

This module imports nothing from moto.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

Record = dict[str, Any]
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class EventLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Record] = []
        self._invocations: list[Record] = []
        self._routes: dict[str, str] = {}

    # -- records ----------------------------------------------------------------------------
    def add_event(self, record: Record) -> None:
        with self._lock:
            self._events.append(record)

    def add_invocation(self, record: Record) -> None:
        with self._lock:
            self._invocations.append(record)

    def events(self) -> list[Record]:
        with self._lock:
            return copy.deepcopy(self._events)

    def invocations(self) -> list[Record]:
        with self._lock:
            return copy.deepcopy(self._invocations)

    def clear(self) -> None:
        """Forget the records (routes stay: they are settings)."""
        with self._lock:
            self._events.clear()
            self._invocations.clear()

    # -- routes -----------------------------------------------------------------------------
    def route(self, host: str, to: str | None) -> None:
        with self._lock:
            if to is None:
                self._routes.pop(host.lower(), None)
            else:
                self._routes[host.lower()] = to.rstrip("/")

    def route_for(self, host: str) -> str | None:
        with self._lock:
            return self._routes.get(host.lower())
