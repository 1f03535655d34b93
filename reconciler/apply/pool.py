"""A bounded pool of daemon worker threads for the changes of one apply.

``concurrent.futures.ThreadPoolExecutor`` joins its (non-daemon) workers when the interpreter
exits, so a run asked to stop could not exit while a worker sat in a long wait or an AWS call:
a first Ctrl-C went unanswered until the wait ended and a second one did not help. These
workers are daemons: the process exits when the command returns, and a worker still inside an
AWS call goes with it (what it had started is in the journal, written before the call)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class DaemonPool:
    def __init__(self, workers: int, name: str = "sagectl-apply") -> None:
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = \
            queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, daemon=True, name=f"{name}_{i}")
                         for i in range(max(1, workers))]
        self._started = 0

    def submit(self, func: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._work.put((future, lambda: func(*args)))
        if self._started < len(self._threads):  # one more worker per submission, up to the bound
            self._threads[self._started].start()
            self._started += 1
        return future

    def shutdown(self) -> None:
        """Let the workers end once the queue is empty (never waits for them)."""
        for _ in range(self._started):
            self._work.put(None)

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            future, call = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as err:  # Stopped included: the main thread decides
                future.set_exception(err)
