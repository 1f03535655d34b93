"""No cyclic garbage collection while a spec tree is read and validated, or a plan is made.

Reading 3,000 documents builds some 300,000 small objects (nodes, positions, dicts) that all
stay alive until the command ends, and a plan of 1,000 endpoints adds as many again (answers,
desired and live forms, changes). CPython's collector runs every 700 allocations and, every so
often, over every object in the process: about a third of the validation's CPU time
(bench/validate_bench.py) and a quarter of a converged plan's (bench/plan_bench.py), spent
finding nothing, since these objects hold no reference cycles (the largest process of a
1,000-endpoint plan is the same size with the collector off). Objects are still freed by
reference counting as usual; cyclic garbage made meanwhile (e.g. an exception's traceback) is
collected once the collector is back on.

Paused with a counter under a lock: load_specs may run in several threads at once (one
environment's plan reading another's specs), and the collector comes back only when the last of
them is done, and only if it was on before.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.Lock()
_depth = 0
_was_enabled = False


def _pause() -> None:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1


def _resume() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth == 0 and _was_enabled:
            gc.enable()


def without_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` with the cyclic collector paused while it runs (see the module docstring)."""
    @functools.wraps(fn)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        _pause()
        try:
            return fn(*args, **kwargs)
        finally:
            _resume()
    return paused
