"""Reading a YAML spec file: its size bounded, UTF-8 decoded, parsed once per content.

Positions and nodes come from ``yamlload``; this module adds the file around them. Every problem
is a Diagnostic; nothing here raises on bad input.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reconciler.diagnostics import Diagnostic, Pos
from reconciler.spec.yamlload import MAX_FILE_BYTES, ParsedFile, parse_text


def decode(data: bytes, filename: str) -> tuple[str | None, list[Diagnostic]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        bad = data[err.start: err.start + 1].hex()
        return None, [Diagnostic(Pos(filename, line, col),
                                 f"file is not valid UTF-8 (byte 0x{bad}); save it as UTF-8")]


PARSED_CACHE_BYTES = 64 * 1024 * 1024
"""At most this much file content (and what was parsed from it) is remembered per process."""

_parsed: dict[tuple[str, bytes], ParsedFile] = {}
_parsed_bytes = 0
_parsed_lock = threading.Lock()


def _remembered(name: str, data: bytes) -> ParsedFile:
    """``data`` parsed, once per process for the same file name and content.

    A command may read a tree more than once (``--env 'prod-*'`` choosing one environment, then
    loading it; ``iam-policy`` and ``promote`` read the environments, then the specs; a kind's
    check loading another environment's specs). The key is the content itself, never a
    modification time (which may not change within a file system's timestamp granularity), so
    an edited file is parsed again. Sharing is safe: nothing modifies parsed nodes (the
    environments' substitution and merging make new nodes)."""
    global _parsed_bytes
    key = (name, data)
    found = _parsed.get(key)
    if found is not None:
        return found
    text, diags = decode(data, name)
    result = ParsedFile(name, [], diags) if text is None else parse_text(text, name)
    with _parsed_lock:
        if _parsed_bytes + len(data) > PARSED_CACHE_BYTES:
            _parsed.clear()
            _parsed_bytes = 0
        if key not in _parsed:
            _parsed[key] = result
            _parsed_bytes += len(data)
    return result


def forget_parsed() -> None:
    """Forget every parsed file (a benchmark measuring the parse itself calls this)."""
    global _parsed_bytes
    with _parsed_lock:
        _parsed.clear()
        _parsed_bytes = 0


def parse_file(path: Path, display: str | None = None, *,
               max_bytes: int = MAX_FILE_BYTES) -> ParsedFile:
    """Every document of the YAML file ``path`` (``display``: its name in positions)."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return ParsedFile(name, [], [Diagnostic(
                Pos(name), f"file is too large ({size:,} bytes; the limit is {max_bytes:,})")])
        data = path.read_bytes()
    except OSError as err:
        return ParsedFile(name, [], [Diagnostic(Pos(name), f"cannot read file: {err.strerror}")])
    return _remembered(name, data)
