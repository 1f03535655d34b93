"""apply.yml's concurrency design: the newest merge is applied, or some run says it is not.

``concurrency_model.py`` models GitHub's documented group semantics (one running, one pending,
a newer queued job cancels the pending one, no order for jobs queued within 5 minutes) and
runs the real decisions of ``.github/scripts/apply_gate.py`` and ``scripts/ci/stage-review.py``
through every interleaving of the stage-by-stage apply (apply.yml calling apply-stage.yml).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from tests.workflows.concurrency_model import (
    TWO_STAGES,
    WIDE_STAGE,
    Merge,
    Model,
    explore,
    gate,
    violations,
)

REPO = Path(__file__).resolve().parents[2]
GATE = REPO / ".github" / "scripts" / "apply_gate.py"
KINDS = [Merge(), Merge(runs=False), Merge(changes=frozenset({"dev"}))]  # all, [skip ci], dev only
FAILING = [Merge(), Merge(fails=frozenset({"dev"})), Merge(fails=frozenset({"prod"})),
           Merge(runs=False)]


def scenarios(k: int, kinds: list[Merge] = KINDS) -> Iterator[list[Merge]]:
    """Every sequence of k merges whose last one has a run (a last [skip ci] commit with no run
    in flight is seen by no job at all: the docs say to dispatch the workflow then)."""
    for merges in itertools.product(kinds, repeat=k):
        if merges[-1].runs:
            yield list(merges)


def walk(k: int, envs: tuple[tuple[str, int], ...], kinds: list[Merge] = KINDS) -> int:
    states = 0
    for merges in scenarios(k, kinds):
        model = Model(merges, envs)
        seen, ends = explore(model)
        states += seen
        for world in ends:
            assert not violations(model, world), merges
    return states


def test_the_gate_applies_the_tip_skips_only_for_a_newer_run_and_fails_otherwise() -> None:
    assert gate.decide("a" * 40, "a" * 40, False).action == gate.APPLY
    assert gate.decide("a" * 40, "b" * 40, True).action == gate.SKIP
    refused = gate.decide("a" * 40, "b" * 40, False)
    assert refused.action == gate.FAIL and "workflow_dispatch" in refused.reason
    ok = {"stages": "success", "stage-1": "success", "stage-2": "skipped"}
    assert gate.verdict("a", "a", False, ok).action == gate.APPLY
    cancelled = {**ok, "stage-2": "cancelled"}
    assert gate.verdict("a", "a", False, cancelled).action == gate.FAIL  # the newest: red
    assert gate.verdict("a", "b", True, cancelled).action == gate.SKIP   # superseded
    assert gate.verdict("a", "b", False, cancelled).action == gate.FAIL  # the tip has no run


def test_the_model_is_apply_yml() -> None:
    """What the model assumes of the workflows: each environment's plan and apply hold its
    group, gated; a stage's plan legs start once the previous stage passed from the tip; the
    review decides the apply legs; the verdict sees every stage."""
    workflows = REPO / ".github" / "workflows"
    caller = yaml.safe_load((workflows / "apply.yml").read_text())["jobs"]
    called = yaml.safe_load((workflows / "apply-stage.yml").read_text())["jobs"]
    for name in ("plan", "apply"):
        job = called[name]
        assert job["concurrency"] == {"group": "sagectl-apply-${{ matrix.target.name }}",
                                      "cancel-in-progress": False}
        gates = [s for s in job["steps"] if s.get("id") == "gate"]
        assert len(gates) == 1 and "apply_gate.py gate --workflow apply.yml" in gates[0]["run"]
        guarded = [s for s in job["steps"] if "if" in s and "steps.gate" in s["if"]]
        assert any("run" in s and ("apply.sh" in s["run"] or "pr-plan.sh" in s["run"])
                   for s in guarded), name
    assert "concurrency" not in called["review"]  # the model's instantaneous review
    assert called["review"]["needs"] == "plan" and called["apply"]["needs"] == "review"
    assert "any == 'true'" in called["apply"]["if"]
    slots = [n for n in caller if n.startswith("stage-")]
    for n, name in enumerate(slots[1:], 2):
        assert f"needs.stage-{n - 1}.outputs.current == 'true'" in caller[name]["if"]
    verdict = caller["verdict"]
    assert verdict["if"].startswith("${{ always()") and "concurrency" not in verdict
    assert verdict["needs"] == ["stages", *slots]
    assert "apply_gate.py verdict --workflow apply.yml --needs" in verdict["steps"][-1]["run"]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_for_any_sequence_of_merges_the_last_is_applied_or_a_run_is_red(k: int) -> None:
    """dev in stage 1, prod in stage 2 (the example estate)."""
    assert walk(k, TWO_STAGES) > {1: 10, 2: 500, 3: 30_000}[k]  # really walked


@pytest.mark.parametrize("k", [1, 2])
def test_two_environments_in_one_stage_the_last_merge_is_applied_or_a_run_is_red(k: int) -> None:
    """dev in stage 1; eu and us in stage 2, planned and applied as parallel matrix legs."""
    assert walk(k, WIDE_STAGE) > {1: 20, 2: 3_000}[k]


def test_failed_applies_stop_later_stages_and_the_run_is_red() -> None:
    """Applies that fail (an error, a rollback) in either stage: every order still ends with
    the last merge applied or a run red, and no run starts a stage after one that did not
    fully apply (``violations`` checks both)."""
    assert walk(2, TWO_STAGES, FAILING) > 500


def test_a_stage_that_did_not_fully_apply_stops_the_later_stages() -> None:
    """eu's apply fails in stage 2: us (the same stage) is applied, stage 3 never starts, the
    run is red; stage 1 stays applied."""
    envs = (("dev", 1), ("eu", 2), ("us", 2), ("global", 3))
    model = Model([Merge(fails=frozenset({"eu"}))], envs)
    _, ends = explore(model)
    assert ends
    for world in ends:
        assert not violations(model, world)
        (run,) = world.runs
        assert world.state == (1, 0, 1, 0)  # dev, eu (failed), us, global (never started)
        assert run.status[model.job("plan", "global")] == "skipped"
        assert run.status[model.job("apply", "eu")] == "failure"
        assert run.verdict == "failure" and (1, 1) in world.reports
        assert model.results(run) == {"stages": "success", "stage-1": "success",
                                      "stage-2": "failure", "stage-3": "skipped"}


def test_an_environment_without_changes_asks_nobody() -> None:
    """A merge that changes dev only: prod is planned, has no changes, and its apply job (the
    one behind prod's reviewers) never runs."""
    model = Model([Merge(changes=frozenset({"dev"}))])
    _, ends = explore(model)
    assert ends
    for world in ends:
        (run,) = world.runs
        assert run.status == ("success", "success", "success", "skipped")  # plans; dev applied
        assert run.changed == (True, False) and run.verdict == "success"


def test_a_commit_without_a_run_is_reported_by_the_gate_of_an_older_run() -> None:
    model = Model([Merge(), Merge(runs=False), Merge()])
    _, ends = explore(model)
    assert any((1, 2) in w.reports for w in ends)  # run 1's gate saw tip 2, which had no run


def test_the_tip_only_design_it_replaces_drops_a_merge_while_every_run_is_green() -> None:
    """The check alone (skip green when main moved on, no verdict): an older run's prod job
    cancels the newest run's pending prod plan, then skips; nothing applies the newest merge."""
    model = Model([Merge(), Merge(), Merge()], design="tip-only")
    _, ends = explore(model)
    dropped = [w for w in ends if violations(model, w)]
    assert dropped
    assert any(w.runs[-1].status[model.job("plan", "prod")] == "cancelled" for w in dropped)


# --------------------------------------------------------------------------------------------
# the script, as the workflow runs it, against a fake GitHub API


@pytest.fixture
def api() -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    state: dict[str, Any] = {"tip": "b" * 40, "runs": {"b" * 40: 1}}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/repos/acme/ml/git/ref/heads/main":
                data: Any = {"object": {"sha": state["tip"]}}
            elif url.path == "/repos/acme/ml/actions/workflows/apply.yml/runs":
                sha = parse_qs(url.query)["head_sha"][0]
                data = {"total_count": state["runs"].get(sha, 0), "workflow_runs": []}
            else:
                self.send_response(404)
                self.end_headers()
                return
            raw = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {"GITHUB_API_URL": f"http://127.0.0.1:{server.server_address[1]}",
           "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "acme/ml", "GITHUB_REF_NAME": "main",
           "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        yield state, env
    finally:
        server.shutdown()
        server.server_close()


def run_gate(env: dict[str, str], tmp_path: Path, sha: str,
             *args: str) -> tuple[subprocess.CompletedProcess[str], str, str]:
    tmp_path.mkdir(parents=True)
    out, summary = tmp_path / "out", tmp_path / "summary"
    result = subprocess.run(
        [sys.executable, str(GATE), *args, "--workflow", "apply.yml"], text=True,
        capture_output=True, timeout=60, check=False,
        env={**env, "GITHUB_SHA": sha, "GITHUB_OUTPUT": str(out),
             "GITHUB_STEP_SUMMARY": str(summary)})
    read = lambda p: p.read_text() if p.exists() else ""  # noqa: E731
    return result, read(out), read(summary)


def test_the_gate_script_against_the_api(api: Any, tmp_path: Path) -> None:
    state, env = api
    result, out, _ = run_gate(env, tmp_path / "1", "b" * 40, "gate")
    assert result.returncode == 0 and out == "apply=true\n", result.stderr
    result, out, summary = run_gate(env, tmp_path / "2", "a" * 40, "gate")
    assert result.returncode == 0 and out == "apply=false\n" and "skipped" in summary
    state["runs"] = {}  # the tip was pushed with [skip ci]
    result, out, summary = run_gate(env, tmp_path / "3", "a" * 40, "gate")
    assert result.returncode == 1 and out == "apply=false\n" and "refused" in summary
    needs = json.dumps({"stages": {"result": "success"}, "stage-1": {"result": "success"},
                        "stage-2": {"result": "cancelled"}})
    state["tip"] = "a" * 40
    result, _, summary = run_gate(env, tmp_path / "4", "a" * 40, "verdict", "--needs", needs)
    assert result.returncode == 1 and "stage-2 did not succeed" in summary
    result, _, _ = run_gate(env, tmp_path / "5", "a" * 40, "verdict", "--needs",
                            json.dumps({"stages": {"result": "success"},
                                        "stage-1": {"result": "success"}}))
    assert result.returncode == 0
