"""What ``sagectl apply`` shows while it works (``reconciler/cli/apply_view.py``): the live
terminal view rendered to a string and compared with its golden file, the plain lines for CI
and ``NO_COLOR``, and a real ``sagectl apply`` without a terminal during a canary and a bake.

After an intended change of the view, regenerate the golden file with
``UPDATE_GOLDEN=1 pytest tests/cli/test_apply_view.py`` and review the diff.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from reconciler.apply.context import Events
from reconciler.cli.apply_view import LiveView, PlainView, make_view, wants_live
from sagemaker_emulator.server import RemoteEmulator
from tests.apply.test_apply import new_model
from tests.apply.test_crash import REGION, apply_here, aws
from tests.plan.helpers import store_test_key, write

GOLDEN = Path(__file__).resolve().parent / "golden"
REPO = Path(__file__).resolve().parents[2]
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z
STAMP = re.compile(r"^\d\d:\d\d:\d\d ")

SCRIPT: list[tuple[float, str, str, dict[str, Any]]] = [
    (0, "start", "Model.scorer-model", {"action": "new_version", "message": "create"}),
    (1, "step", "Model.scorer-model", {"op": "sagemaker:CreateModel", "target": "m",
                                       "message": "sagemaker:CreateModel m"}),
    (1, "start", "Endpoint.scorer", {"action": "new_config", "message": "update"}),
    (2, "start", "Endpoint.ranker", {"action": "new_config", "message": "update"}),
    (2, "step", "Endpoint.scorer", {"op": "sagemaker:CreateEndpointConfig", "target": "c",
                                    "message": "sagemaker:CreateEndpointConfig c"}),
    (3, "step", "Endpoint.scorer", {"op": "sagemaker:UpdateEndpoint", "target": "scorer",
                                    "message": "sagemaker:UpdateEndpoint scorer"}),
    (3, "progress", "Endpoint.ranker", {"phase": "Updating: 35% of traffic on the new fleet",
                                        "seconds_left": None, "elapsed": 1,
                                        "message": "Updating: 35% of traffic on the new fleet"}),
    (310, "progress", "Endpoint.scorer", {"phase": "canary wait 4:10 left (10% of traffic)",
                                          "seconds_left": 250, "elapsed": 307,
                                          "message": "canary wait 4:10 left"}),
    ("snapshot", "", "", {}),  # type: ignore[list-item]
    (400, "failed", "Endpoint.ranker", {"message": "failed: guardrail alarm ranker-errors in "
                                                   "ALARM during the bake"}),
    (401, "rollback", "Endpoint.ranker", {"message": "rolling back to ranker-0a1b2c3d"}),
    (700, "bake", "Endpoint.scorer", {"seconds_left": 90, "message": "baking: 90 s left"}),
    ("snapshot", "", "", {}),  # type: ignore[list-item]
    (790, "outcome", "Model.scorer-model", {"status": "applied", "reason": "",
                                            "message": "applied"}),
    (790, "outcome", "Endpoint.scorer", {"status": "applied", "reason": "",
                                         "message": "applied"}),
    (790, "outcome", "Endpoint.ranker", {"status": "rolled_back", "reason": "guardrail alarm "
                                         "ranker-errors in ALARM during the bake",
                                         "message": "rolled_back"}),
    (790, "outcome", "Endpoint.tagger", {"status": "waiting", "reason": "leased by another "
                                         "run: ci@runner-7 (run 20240101-abc)",
                                         "message": "waiting"}),
]


class ScriptedTime:
    """The apply's clock for a scripted sequence of events: set before each one."""

    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def play(view: Any, clock: ScriptedTime, console: Console | None = None) -> None:
    events = Events(view=view)
    for at, event, address, data in SCRIPT:
        if at == "snapshot":
            if console is not None:
                console.print(view.render())
            continue
        clock.t = T0 + float(at)
        events.emit(event, address, **data)


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == actual, f"{name} differs from its golden file"


def live_console(color_system: str | None) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100, color_system=color_system,  # type: ignore[arg-type]
                   legacy_windows=False), out


def test_the_live_view_rendered_matches_its_golden_file() -> None:
    console, out = live_console(None)
    clock = ScriptedTime()
    view = LiveView(console, now=clock)
    play(view, clock, console)
    view.table()
    console.print("Apply: 2 applied, 1 rolled back, 1 waiting.")
    view.waiting()
    rendered = out.getvalue()
    check_golden("apply-view.txt", rendered)
    # what the golden file must show, whatever else changes
    assert "canary wait 4:10 left" in rendered and "baking 1:30 left" in rendered
    assert "Updating: 35% of traffic on the new fleet" in rendered
    assert "rolling back" in rendered
    waiting = rendered.split("Apply: ")[1]
    assert "Endpoint.tagger: leased by another run" in waiting  # after the summary, with why


def test_the_live_view_colours_outcomes() -> None:
    console, out = live_console("standard")
    clock = ScriptedTime()
    view = LiveView(console, now=clock)
    play(view, clock)
    view.table()
    rendered = out.getvalue()
    assert "\x1b[32mapplied" in rendered  # green
    assert "\x1b[35mrolled back" in rendered  # magenta
    assert "\x1b[33mwaiting" in rendered  # yellow


def test_plain_lines_have_a_timestamp_each_and_no_control_codes() -> None:
    out = io.StringIO()
    clock = ScriptedTime()
    view = PlainView(out, now=clock)
    play(view, clock)
    view.waiting()
    lines = out.getvalue().splitlines()
    assert len(lines) == len([s for s in SCRIPT if s[0] != "snapshot"]) + 1
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()
    assert all(STAMP.match(line) for line in lines), lines
    assert lines[0] == "22:13:20 Model.scorer-model: create"
    assert "22:18:30 Endpoint.scorer: canary wait 4:10 left" in lines
    assert lines[-1].endswith("waiting: Endpoint.tagger: leased by another run: ci@runner-7 "
                              "(run 20240101-abc)")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_live_view_only_for_a_terminal_without_no_color() -> None:
    assert wants_live(Tty(), {"TERM": "xterm-256color"})
    assert not wants_live(io.StringIO(), {"TERM": "xterm-256color"})  # CI: a pipe
    assert not wants_live(Tty(), {"TERM": "xterm", "NO_COLOR": "1"})
    assert not wants_live(Tty(), {"TERM": "dumb"})
    assert isinstance(make_view(Tty(), {"TERM": "xterm"}), LiveView)
    assert isinstance(make_view(Tty(), {"NO_COLOR": ""}), PlainView)


def test_sagectl_apply_without_a_terminal_prints_timestamped_progress_of_canary_and_bake(
        server: str, tmp_path: Path) -> None:
    remote = RemoteEmulator(server, REGION)
    remote.reset()
    remote.unfreeze()
    remote.set_time_factor(0.001)
    client = aws(server)
    store_test_key(client, "dev")
    client.close()
    from tests.apply.test_apply import BASE

    assert apply_here(server, write(tmp_path, BASE)) == {"applied"}
    # The canary's 300 simulated seconds last 6 real seconds at this factor, 20 polls of 15 s:
    # the countdown is seen unless the machine stalls the apply for seconds. The exact timeline
    # is tested on a stepped clock in tests/apply/test_progress.py.
    remote.set_time_factor(0.02)
    specs = write(tmp_path, {**BASE, **new_model()})
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update({"SAGECTL_EMULATOR_URL": server, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "PYTHONPATH": str(REPO),
                "TERM": "xterm-256color"})
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", str(specs), "--env", "dev",
         "--auto-approve", "--poll-seconds", "15"], env=env, capture_output=True, text=True,
        timeout=300)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr and "\x1b" not in done.stdout
    lines = done.stderr.splitlines()
    assert lines and all(STAMP.match(line) for line in lines), lines
    canary = [line for line in lines if re.search(r"Endpoint\.scorer: canary wait \d+:\d\d left",
                                                  line)]
    bake = [line for line in lines if re.search(r"Endpoint\.scorer: baking: \d+ s left", line)]
    assert canary and bake, done.stderr
    assert "Apply: 2 applied." in done.stdout
