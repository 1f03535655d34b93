"""How a value reads in a plan or a drift report: JSON on one line, shortened when long.

A single value (a field a change adds or removes) is never cut: all of it is new (or gone). When
its JSON is longer than a line, a mapping or list is shown member by member on lines of their own
(``instancePools[1].modelNameOverride = "..."``), down to values that fit or cannot be split (a
long string is shown whole). A before/after pair is not cut either:
cutting both sides at the same width hides any difference past the cut (an image
``…-cu118-ubuntu20.04`` -> ``…-cu118-ubuntu22.04`` read as two identical lines). A pair is
shortened only where its two sides agree: each run of characters they share keeps up to ``k``
characters next to a difference and becomes ``…`` in between (the largest ``k`` that fits the
width, at least ``MIN_CONTEXT``), so every character that differs is shown, in strings (shortened
inside their quotes), lists and nested JSON alike. Only past ``MAX_SIDE`` characters is a side
cut, after its first difference. And two renderings of a real change are never equal: a hidden
secret shows ``(sensitive)`` on both sides and says it changed; any other tie shows the types.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from difflib import SequenceMatcher
from typing import Any

from reconciler.plan.model import SENSITIVE

MAX_VALUE = 120
ELLIPSIS = "…"
MIN_CONTEXT = 8
"""Characters kept around a difference even when that makes a side longer than asked."""
MAX_SIDE = 1000
"""A side longer than this once shortened (a value rewritten throughout) is cut after its first
difference; the JSON plan has it whole."""
MAX_MATCHED = 6000
"""Above this many characters (both sides), only the common prefix and suffix are elided:
matching character by character is quadratic."""

SEPARATORS = frozenset("/:.-_,=@ \"'")
"""Where an elision at a value's start or end prefers to cut."""

Segment = tuple[bool, str, str]
"""(shared, the before side's text, the after side's text)."""


def to_json(v: Any) -> str:
    return json.dumps(v, default=str, ensure_ascii=False)


def value(v: Any, limit: int = MAX_VALUE) -> str:
    """A value as a reviewer reads it: JSON, cut at the end when long (for notes and messages;
    a diff's added or removed value goes through ``parts``)."""
    text = to_json(v)
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def parts(path: str, v: Any, limit: int = MAX_VALUE) -> list[tuple[str, str]]:
    """``(path, JSON)`` lines showing all of ``v``: one line when it fits in ``limit``, else a
    line per member of a mapping (``path.key``) or item of a list (``path[i]``), recursively;
    a scalar is shown whole however long."""
    text = to_json(v)
    if len(text) <= limit or not v or not isinstance(v, dict | list):
        return [(path, text)]
    items = [(f"{path}.{k}", x) for k, x in v.items()] if isinstance(v, dict) else \
        [(f"{path}[{i}]", x) for i, x in enumerate(v)]
    return [line for sub, x in items for line in parts(sub, x, limit)]


def pair(before: Any, after: Any, limit: int = MAX_VALUE) -> tuple[str, str]:
    """``before`` and ``after`` of one change, each within ``limit`` where the part that differs
    fits, and never shown equal."""
    b, a = to_json(before), to_json(after)
    if b == a:
        return _tie(before, after, b)
    if len(b) <= limit and len(a) <= limit:
        return b, a
    if isinstance(before, str) and isinstance(after, str):  # elide inside the quotes
        x, y = _shorten(b[1:-1], a[1:-1], limit - 2)
        x, y = f'"{x}"', f'"{y}"'
    else:
        x, y = _shorten(b, a, limit)
    return (x, y) if x != y else _tie(before, after, x)


def _tie(before: Any, after: Any, shown: str) -> tuple[str, str]:
    if before == SENSITIVE and after == SENSITIVE:
        return shown, f"{shown} (changed, not shown)"
    kinds = type(before).__name__, type(after).__name__
    if kinds[0] != kinds[1]:
        return f"{shown} ({kinds[0]})", f"{shown} ({kinds[1]})"
    return shown, f"{shown} (changed)"


def _segments(x: str, y: str) -> list[Segment]:
    if len(x) + len(y) > MAX_MATCHED:
        p = 0
        while p < min(len(x), len(y)) and x[p] == y[p]:
            p += 1
        s = 0
        while s < min(len(x), len(y)) - p and x[-1 - s] == y[-1 - s]:
            s += 1
        parts = [(True, x[:p], y[:p]), (False, x[p:len(x) - s], y[p:len(y) - s]),
                 (True, x[len(x) - s:], y[len(y) - s:])]
        return [part for part in parts if part[1] or part[2]]
    ops = SequenceMatcher(None, x, y, autojunk=False).get_opcodes()
    return [(tag == "equal", x[i1:i2], y[j1:j2]) for tag, i1, i2, j1, j2 in ops]


def _elide(text: str, head: int, tail: int) -> str:
    """A shared run keeping ``head`` and ``tail`` characters. A cut at the value's start or end
    moves to a separator (``/``, ``:``, ``-``, ...) when one is near, so what shows starts or
    ends at a whole word."""
    if len(text) <= head + tail + len(ELLIPSIS):
        return text
    start, end = text[:head], text[len(text) - tail:] if tail else ""
    if not head and len(end) > 2 * MIN_CONTEXT:  # the value's start is cut
        cut = next((i for i, c in enumerate(end[:MIN_CONTEXT]) if c in SEPARATORS), 0)
        end = end[cut:]
    if not tail and len(start) > 2 * MIN_CONTEXT:  # the value's end is cut
        cut = next((i for i in range(len(start) - 1, len(start) - 1 - MIN_CONTEXT, -1)
                    if start[i] in SEPARATORS), len(start) - 1)
        start = start[:cut + 1]
    return start + ELLIPSIS + end


def _render(segments: list[Segment], k: int, first: int, last: int) -> tuple[str, str]:
    """Both sides: each shared run keeps ``k`` characters next to a difference, the value's
    first run its last ``first`` characters, its last run its first ``last``."""
    xs, ys = [], []
    end = len(segments) - 1
    for n, (shared, x, y) in enumerate(segments):
        if shared:
            x = y = _elide(x, 0 if n == 0 else last if n == end else k,
                           0 if n == end else first if n == 0 else k)
        xs.append(x)
        ys.append(y)
    return "".join(xs), "".join(ys)


def _widest(fits: Callable[[int], bool], low: int, high: int) -> int:
    """The largest n in [low, high] with ``fits(n)`` (``fits`` holds up to some n), else low."""
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def _shorten(x: str, y: str, limit: int) -> tuple[str, str]:
    segments = _segments(x, y)
    longest = max(max(len(x), len(y)), MIN_CONTEXT)

    def fits(k: int, first: int, last: int) -> bool:
        return max(len(side) for side in _render(segments, k, first, last)) <= limit

    k = _widest(lambda n: fits(n, n, n), MIN_CONTEXT, longest)
    # then the value's end (a file name, a tag) as far as it goes, and its start with the rest
    last = _widest(lambda n: fits(k, MIN_CONTEXT, n), k, longest)
    first = _widest(lambda n: fits(k, n, last), MIN_CONTEXT, longest)
    rx, ry = _render(segments, k, first, last)
    return _cap(rx), _cap(ry)


def _cap(side: str) -> str:
    return side if len(side) <= MAX_SIDE else side[:MAX_SIDE - 1] + ELLIPSIS
