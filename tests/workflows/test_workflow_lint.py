"""The workflows as a security review reads them: zizmor clean, actions pinned, tokens kept short.

zizmor (the ``dev`` extra) runs offline with its strictest persona (``auditor``); a finding that
is accepted is suppressed in place with ``# zizmor: ignore[rule] (why)``. GitHub's own
``@actions/workflow-parser`` is an npm package: not used (no Node toolchain in the test suite,
and no network); the schema check stays in ``tests/test_workflows.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GITHUB = REPO / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ZIZMOR = shutil.which("zizmor")
needs_zizmor = pytest.mark.skipif(
    ZIZMOR is None, reason="zizmor is not installed (pip install -e '.[dev]' installs it)")

# the release each action is pinned to: the commit its tag points at (the actions' own
# repositories); Dependabot moves the SHA and the comment together
PINS = {
    "actions/checkout": ("11d5960a326750d5838078e36cf38b85af677262", "v4.4.0"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "aws-actions/configure-aws-credentials": ("7474bc4690e29a8392af63c5b98e7449536d5c3a",
                                              "v4.3.1"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
}


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert ZIZMOR
    return subprocess.run([ZIZMOR, "--offline", "--persona=auditor", "--no-progress",
                           *map(str, paths)], capture_output=True, text=True, timeout=120,
                          check=False)


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in WORKFLOWS:
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            out.append((path.name, name, job))
    return out


def steps_using(action: str) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    return [(wf, name, job, step) for wf, name, job in jobs() for step in job.get("steps", [])
            if str(step.get("uses", "")).split("@")[0] == action]


@needs_zizmor
def test_zizmor_finds_nothing_in_the_workflows_and_dependabot() -> None:
    result = zizmor(GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr
    assert "dependabot.yml" in result.stderr  # audited too


@needs_zizmor
def test_zizmor_fails_an_unpinned_action_and_a_persisted_token(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    broken.parent.mkdir(parents=True)
    text = (GITHUB / "workflows" / "ci.yml").read_text()
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # \S+", "actions/checkout@v4", text)
    broken.write_text(text.replace("persist-credentials: false", "persist-credentials: true"))
    result = zizmor(broken)
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout and "artipacked" in result.stdout, result.stdout


def test_every_suppression_says_why() -> None:
    ignores = 0
    for path in [*WORKFLOWS, GITHUB / "dependabot.yml"]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "zizmor:" in line:
                ignores += 1
                assert re.search(r"# zizmor: ignore\[[a-z-]+\] \(.{8,}", line), (
                    f"{path.name}:{number}: a suppression without its reason: {line.strip()}")
    assert ignores >= 4  # concurrency-limits, dangerous-triggers (each twice: reason, tag line)


def test_every_action_is_pinned_to_its_releases_commit_with_the_version() -> None:
    seen = set()
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "uses:" not in line:
                continue
            if re.match(r"\s+uses: \./\.github/workflows/[\w-]+\.yml\b", line):
                continue  # a reusable workflow of this repository, from the caller's commit
            found = re.search(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)\b",
                              line)
            assert found, f"{path.name}:{number}: not pinned to a SHA with its version: {line}"
            action, sha, version = found.groups()
            assert PINS.get(action) == (sha, version), f"{path.name}:{number}: {action}"
            seen.add(action)
    assert seen == set(PINS)


def test_dependabot_keeps_the_actions_and_the_python_dependencies_current() -> None:
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    assert config["version"] == 2
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"github-actions", "pip"}
    for update in updates.values():
        assert update["directory"] == "/" and update["schedule"]["interval"]
    result = subprocess.run(["python", "-m", "check_jsonschema", "--builtin-schema",
                             "vendor.dependabot", str(GITHUB / "dependabot.yml")],
                            capture_output=True, text=True, timeout=120, check=False, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkouts_never_keep_the_token_and_only_steps_get_it() -> None:
    checkouts = steps_using("actions/checkout")
    assert len(checkouts) >= 10
    for wf, job_name, _, step in checkouts:
        assert (step.get("with") or {}).get("persist-credentials") is False, (wf, job_name)
    for path in WORKFLOWS:
        data = yaml.safe_load(path.read_text())
        assert "GITHUB_TOKEN" not in str(data.get("env", {})), path.name
        for job_name, job in data["jobs"].items():
            assert "GITHUB_TOKEN" not in str(job.get("env", {})), (path.name, job_name)


def test_oidc_sessions_last_as_long_as_the_job_may() -> None:
    """configure-aws-credentials asks for 1 hour unless told (its README); IAM allows 1 to 12."""
    steps = steps_using("aws-actions/configure-aws-credentials")
    assert len(steps) >= 6
    for wf, job_name, job, step in steps:
        duration = int(step["with"].get("role-duration-seconds", 3600))
        assert job["timeout-minutes"] * 60 <= duration <= 43_200, (wf, job_name, duration)
    long_ones = [s for *_, s in steps if "role-duration-seconds" in s["with"]]
    assert len(long_ones) == 2  # apply-stage.yml's apply and drift.yml's heal: 4 hours
    docs = (REPO / "docs" / "github-workflows.md").read_text()
    assert "MaxSessionDuration" in docs and "14400" in docs
