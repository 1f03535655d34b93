"""Every long wait of an apply reports progress at least once per poll interval (issue 16), on
the apply's clock: the emulator's clock is frozen and moves only when the apply sleeps
(``SteppingClock``), so the times between events are exact whatever the machine's speed."""

from __future__ import annotations

import threading
from itertools import pairwise
from pathlib import Path
from typing import Any

from reconciler.apply.context import APPLIED, ApplyContext, ApplyOptions, Events
from reconciler.apply.stage import apply_plan, prepare
from reconciler.apply.state import StateTable, new_run_id
from reconciler.cli.registry import KINDS
from reconciler.plan.context import PlanOptions
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.apply.test_apply import BASE, ROLLOUT, new_model
from tests.plan.helpers import aws_for, write

POLL = 15.0


class SteppingClock:
    """The apply's clock on a frozen emulator: ``sleep`` advances simulated time by exactly
    what was asked (one change runs at a time, so sleeps never overlap)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.stop = threading.Event()  # the Clock protocol's stop request (never set here)

    def now(self) -> float:
        return float(self.emu.now())

    def sleep(self, seconds: float) -> None:
        self.emu.advance(max(0.0, seconds))

    def wait(self, event: threading.Event) -> None:
        event.wait()  # one change at a time: no other bake leads a read it could wait for


def run_timed(emu: Emulator, specs: Path) -> tuple[list[tuple[float, dict[str, Any]]], Any]:
    """Apply ``specs`` one change at a time on the stepping clock: (simulated time, event)."""
    seen: list[tuple[float, dict[str, Any]]] = []
    aws = aws_for(emu, concurrency=1)
    clock = SteppingClock(emu)
    actx = ApplyContext(aws, StateTable(aws, now=clock.now), clock, new_run_id(), "test",
                        "0" * 40, Events(view=lambda r: seen.append((clock.now(), r))),
                        ApplyOptions(concurrency=1, poll_seconds=POLL))
    try:
        run = apply_plan(actx, prepare(actx, load_specs(specs, KINDS, "dev"), specs.parent,
                                       PlanOptions()))
    finally:
        aws.close()
    return seen, run


def test_a_canary_rollout_and_its_bake_are_never_silent_for_a_poll_interval(
        emu: Emulator, tmp_path: Path) -> None:
    assert set(statuses(apply(emu, write(tmp_path, BASE))).values()) == {APPLIED}
    specs = write(tmp_path, {**BASE, **new_model()})
    emu.freeze()
    describes = emu.calls[("sagemaker", "DescribeEndpoint")]
    seen, run = run_timed(emu, specs)
    assert statuses(run)["Endpoint.scorer"] == APPLIED, run.result
    describes = emu.calls[("sagemaker", "DescribeEndpoint")] - describes

    mine = [(t, r) for t, r in seen if r["address"] == "Endpoint.scorer"]
    start = next(t for t, r in mine if r["event"] == "start")
    end = next(t for t, r in mine if r["event"] == "outcome")
    assert end - start >= ROLLOUT  # the canary's waits really were waited through
    times = [t for t, r in mine if r["event"] != "outcome"]
    gaps = [b - a for a, b in pairwise(times)]
    assert max(gaps) <= POLL + 1e-6, max(gaps)

    progress = [(t, r) for t, r in mine if r["event"] == "progress"]
    assert len(progress) >= ROLLOUT / POLL - 2
    # the wait's polls thin out while far from the end: progress is reported from the answer
    # the wait already has, never by an extra DescribeEndpoint
    assert describes < len(progress) / 2, (describes, len(progress))
    phases = [r["phase"] for _, r in progress]
    assert any(p.startswith("Updating: ") for p in phases), phases
    canary = [(t, r) for t, r in progress if r["phase"].startswith("canary wait ")
              and r["seconds_left"] is not None]
    assert canary and all(" left" in r["phase"] for _, r in canary), phases
    # the time left counts down on the apply's clock from the WaitIntervalInSeconds (300 s)
    first_t, first = canary[0]
    assert 0 < first["seconds_left"] <= 300
    for t, r in canary[1:3]:
        if r["seconds_left"] < first["seconds_left"]:
            assert abs((first["seconds_left"] - r["seconds_left"]) - (t - first_t)) <= 1
    bakes = [r for _, r in mine if r["event"] == "bake" and "seconds_left" in r]
    assert bakes and bakes[0]["seconds_left"] <= 60
