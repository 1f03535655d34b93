"""The cyclic collector is paused while specs load and while a plan is made, and always comes
back as it was."""

from __future__ import annotations

import gc
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.gcpause import without_gc
from reconciler.spec import load as spec_load
from sagemaker_emulator import Emulator
from tests.conftest import EXAMPLES


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_loading_specs_runs_without_the_collector_and_turns_it_back_on() -> None:
    seen: list[bool] = []
    original = spec_load.read_tree

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    spec_load.read_tree = spy  # type: ignore[assignment]
    try:
        result = spec_load.validate(EXAMPLES, KINDS, "dev")
        specs = spec_load.load_specs(EXAMPLES, KINDS, "dev")
    finally:
        spec_load.read_tree = original
    assert seen == [False, False]
    assert gc.isenabled()
    assert not result.errors and specs.ok  # the same outcome as ever


def test_a_failing_load_turns_the_collector_back_on() -> None:
    @without_gc
    def fails() -> None:
        assert not gc.isenabled()
        raise ValueError("bad")

    with pytest.raises(ValueError):
        fails()
    assert gc.isenabled()


def test_the_collector_stays_off_if_it_was_off() -> None:
    gc.disable()
    without_gc(lambda: None)()
    assert not gc.isenabled()


def test_overlapping_loads_in_threads_turn_it_on_when_the_last_one_ends() -> None:
    first_in, release = threading.Event(), threading.Event()
    states: list[bool] = []

    @without_gc
    def long_load() -> None:
        first_in.set()
        release.wait(10)
        states.append(gc.isenabled())

    @without_gc
    def short_load() -> None:
        states.append(gc.isenabled())

    worker = threading.Thread(target=long_load)
    worker.start()
    first_in.wait(10)
    short_load()
    states.append(gc.isenabled())  # the long load still runs: still off
    release.set()
    worker.join(10)
    assert states == [False, False, False]
    assert gc.isenabled()


def test_a_plan_is_made_without_the_collector_and_turns_it_back_on(
        emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Planning the example estate: every kind's reads and decisions (on the main thread and on
    the pool's workers) run with the collector off; it is on again once the plan is made."""
    from reconciler.kinds.endpoint import plan as endpoint_plan
    from tests.plan.helpers import plan

    seen: list[bool] = []
    describe = endpoint_plan.describe_endpoint

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return describe(*args, **kwargs)

    monkeypatch.setattr(endpoint_plan, "describe_endpoint", spy)
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLES, specs)
    (tmp_path / ".git").mkdir()
    made = plan(emu, specs)
    assert seen and not any(seen), seen
    assert gc.isenabled()
    assert made.resource_changes  # an empty account: everything is to create
