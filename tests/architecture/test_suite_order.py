"""The suite's scheduling lists (tests/conftest.py) name files that exist: a moved test file would
silently lose its place at the front of the queue and lengthen the suite."""

from __future__ import annotations

from tests.conftest import LONGEST_FIRST, REPO, SPREAD


def test_the_files_scheduled_first_or_spread_exist() -> None:
    missing = [f for f in (*LONGEST_FIRST, *SPREAD) if not (REPO / f).is_file()]
    assert LONGEST_FIRST and missing == []
