"""apply.yml's concurrency design: the newest merge is applied, or some run says it is not.

``concurrency_model.py`` models GitHub's documented group semantics (one running, one pending,
a newer queued job cancels the pending one, no order for jobs queued within 5 minutes) and
runs the real decisions of ``.github/scripts/apply_gate.py`` through every interleaving.
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

from tests.workflows.concurrency_model import GROUP, Merge, Model, explore, gate, violations

REPO = Path(__file__).resolve().parents[2]
GATE = REPO / ".github" / "scripts" / "apply_gate.py"
KINDS = [Merge(), Merge(runs=False), Merge(changes_prod=False)]


def scenarios(k: int) -> Iterator[list[Merge]]:
    """Every sequence of k merges whose last one has a run (a last [skip ci] commit with no run
    in flight is seen by no job at all: the docs say to dispatch the workflow then)."""
    for merges in itertools.product(KINDS, repeat=k):
        if merges[-1].runs:
            yield list(merges)


def test_the_gate_applies_the_tip_skips_only_for_a_newer_run_and_fails_otherwise() -> None:
    assert gate.decide("a" * 40, "a" * 40, False).action == gate.APPLY
    assert gate.decide("a" * 40, "b" * 40, True).action == gate.SKIP
    refused = gate.decide("a" * 40, "b" * 40, False)
    assert refused.action == gate.FAIL and "workflow_dispatch" in refused.reason
    ok = {"dev": "success", "prod-plan": "skipped", "prod": "skipped"}
    assert gate.verdict("a", "a", False, ok).action == gate.APPLY
    cancelled = {**ok, "prod-plan": "cancelled"}
    assert gate.verdict("a", "a", False, cancelled).action == gate.FAIL  # the newest: red
    assert gate.verdict("a", "b", True, cancelled).action == gate.SKIP   # superseded
    assert gate.verdict("a", "b", False, cancelled).action == gate.FAIL  # the tip has no run


def test_the_model_is_apply_yml() -> None:
    jobs = yaml.safe_load((REPO / ".github" / "workflows" / "apply.yml").read_text())["jobs"]
    names = {"dev": "dev", "plan": "prod-plan", "prod": "prod"}
    for model_name, job_name in names.items():
        job = jobs[job_name]
        assert job["concurrency"] == {"group": f"sagectl-apply-{GROUP[model_name]}",
                                      "cancel-in-progress": False}
        gates = [s for s in job["steps"] if s.get("id") == "gate"]
        assert len(gates) == 1 and "apply_gate.py gate --workflow apply.yml" in gates[0]["run"]
        guarded = [s for s in job["steps"] if "if" in s and "steps.gate" in s["if"]]
        assert any("run" in s and ("apply.sh" in s["run"] or "pr-plan.sh" in s["run"])
                   for s in guarded), job_name
    assert jobs["dev"]["outputs"]["current"] == "${{ steps.gate.outputs.apply }}"
    assert "needs.dev.outputs.current == 'true'" in jobs["prod-plan"]["if"]
    assert "needs.prod-plan.outputs.changes == 'true'" in jobs["prod"]["if"]
    verdict = jobs["verdict"]
    assert verdict["if"].startswith("${{ always()") and "concurrency" not in verdict
    assert verdict["needs"] == ["dev", "prod-plan", "prod"]
    assert "apply_gate.py verdict --workflow apply.yml --needs" in verdict["steps"][-1]["run"]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_for_any_sequence_of_merges_the_last_is_applied_or_a_run_is_red(k: int) -> None:
    states = 0
    for merges in scenarios(k):
        model = Model(merges)
        seen, ends = explore(model)
        states += seen
        for world in ends:
            assert not violations(model, world), merges
    assert states > {1: 10, 2: 300, 3: 10_000}[k]  # the interleavings were really walked


def test_a_commit_without_a_run_is_reported_by_the_gate_of_an_older_run() -> None:
    model = Model([Merge(), Merge(runs=False), Merge()])
    _, ends = explore(model)
    assert any((1, 2) in w.reports for w in ends)  # run 1's gate saw tip 2, which had no run


def test_the_tip_only_design_it_replaces_drops_a_merge_while_every_run_is_green() -> None:
    """The check alone (skip green when main moved on): an older run's prod job cancels the
    newest run's pending prod plan, then skips; nothing applies the newest merge."""
    model = Model([Merge(), Merge(), Merge()], design="tip-only")
    _, ends = explore(model)
    dropped = [w for w in ends if violations(model, w)]
    assert dropped
    assert any(w.runs[-1].status[1] == "cancelled" for w in dropped)


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
    needs = json.dumps({"dev": {"result": "success"}, "prod-plan": {"result": "cancelled"},
                        "prod": {"result": "skipped"}})
    state["tip"] = "a" * 40
    result, _, summary = run_gate(env, tmp_path / "4", "a" * 40, "verdict", "--needs", needs)
    assert result.returncode == 1 and "prod-plan did not succeed" in summary
    result, _, _ = run_gate(env, tmp_path / "5", "a" * 40, "verdict", "--needs",
                            json.dumps({"dev": {"result": "success"}}))
    assert result.returncode == 0
