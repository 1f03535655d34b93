"""An in-process emulator per test (fresh state; moto's reset between tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.emulator import Emulator, in_process


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with in_process(time_factor=0.001) as emulator:
        yield emulator
