"""The fan-out generated from ``specs/environments/``: the stage matrices of apply.yml
(``scripts/ci/environments.py --stages``), the review of a stage (``scripts/ci/stage-review.py``),
``max-parallel`` from a repository variable, and one stage run as apply-stage.yml runs it,
against a served emulator.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.workflows.concurrency_model import stage_review

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts" / "ci"
WORKFLOWS = REPO / ".github" / "workflows"
SAGECTL = f"{sys.executable} -m reconciler"


def script_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GITHUB_", "AWS_", "SAGECTL_"))}
    env.update(SAGECTL=SAGECTL, PYTHON=sys.executable, PYTHONDONTWRITEBYTECODE="1",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def run(script: str, *args: str, cwd: Path = REPO,
        **env: str) -> subprocess.CompletedProcess[str]:
    path = SCRIPTS / script
    cmd = ["bash", str(path)] if path.suffix == ".sh" else [sys.executable, str(path)]
    return subprocess.run([*cmd, *args], cwd=cwd, env=script_env(**env), text=True,
                          capture_output=True, timeout=300, check=False)


def outputs(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def environment(name: str, stage: Any = None, region: str = "eu-west-1",
                account: str = "111111111111") -> str:
    lines = ["apiVersion: sagectl/v1", "kind: Environment", "metadata:", f"  name: {name}",
             "spec:", f"  region: {region}", f'  accountId: "{account}"']
    if stage is not None:
        lines.append(f"  stage: {stage}")
    return "\n".join(lines) + "\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    envs = root / "specs" / "environments"
    envs.mkdir(parents=True)
    for name, text in files.items():
        (envs / name).write_text(text)
    return root / "specs"


def stages(specs: Path, slots: int, tmp_path: Path,
           **env: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    out = tmp_path / "github-output"
    result = run("environments.py", "--specs", str(specs), "--stages", "--slots", str(slots),
                 "--github-output", GITHUB_OUTPUT=str(out), **env)
    return result, outputs(out)


# --------------------------------------------------------------------------------------------
# environments.py --stages


def test_the_example_tree_fills_two_of_four_stage_slots(tmp_path: Path) -> None:
    result, out = stages(REPO / "specs", 4, tmp_path)
    assert result.returncode == 0, result.stderr
    assert out["count"] == "2"
    assert [e["name"] for e in json.loads(out["stage-1"])] == ["dev"]
    (prod,) = json.loads(out["stage-2"])
    assert prod == {"name": "prod", "key": "PROD", "region": "eu-west-1",
                    "account": "222222222222", "stage": "2"}
    assert out["stage-3"] == out["stage-4"] == "[]"  # guarded: apply.yml runs no empty stage
    assert "stage 1: dev; stage 2: prod (4 slots)" in result.stderr


def test_thirty_environments_in_three_stages_keys_regions_and_accounts(tmp_path: Path) -> None:
    """10 accounts x 3 regions, in stages numbered 10, 20, 30: the order of the stages, not
    their numbers, fills the slots (as `sagectl apply --env '*'` orders them)."""
    regions = ("eu-west-1", "us-east-1", "ap-southeast-2")
    files = {}
    for a in range(10):
        for region in regions:
            name = f"acct{a}-{region}"
            stage = 10 if a == 0 else 20 if a < 4 else 30
            files[f"{name}.yaml"] = environment(name, stage, region, f"{a + 1:012d}")
    result, out = stages(tree(tmp_path, files), 4, tmp_path)
    assert result.returncode == 0, result.stderr
    assert out["count"] == "3" and out["stage-4"] == "[]"
    by_slot = {n: json.loads(out[f"stage-{n}"]) for n in (1, 2, 3)}
    assert [len(by_slot[n]) for n in (1, 2, 3)] == [3, 9, 18]
    first = by_slot[1][0]
    assert first == {"name": "acct0-ap-southeast-2", "key": "ACCT0_AP_SOUTHEAST_2",
                     "region": "ap-southeast-2", "account": "000000000001", "stage": "10"}
    assert {e["account"] for e in by_slot[3]} == {f"{a + 1:012d}" for a in range(4, 10)}
    assert all(e["key"] == e["name"].upper().replace("-", "_") for n in by_slot
               for e in by_slot[n])
    assert [e["name"] for e in by_slot[2]] == sorted(e["name"] for e in by_slot[2])


def test_a_stage_beyond_the_slots_fails_naming_the_file_line_and_column(tmp_path: Path) -> None:
    files = {f"e{s}.yaml": environment(f"e{s}", s) for s in (1, 2, 3)}
    files["late.yaml"] = environment("late", 40)
    specs = tree(tmp_path, files)
    result, out = stages(specs, 3, tmp_path, GITHUB_ACTIONS="true")
    assert result.returncode == 1 and out == {}  # nothing for the workflow to run
    late = specs / "environments" / "late.yaml"
    assert (f"{late}:8:10: error: spec.stage: 40 makes 'late' the tree's stage 4 in order "
            "(the stages: 1, 2, 3, 40), but apply.yml has 3 stage slot(s)") in result.stderr
    assert "add a stage-4 job to .github/workflows/apply.yml" in result.stderr
    # in GitHub Actions, an annotation on the file (plan.yml's validate job shows it on the PR)
    assert f"::error file={late},line=8,col=10::spec.stage: 40 makes" in result.stdout
    result, out = stages(specs, 4, tmp_path)  # with a fourth slot it fits
    assert result.returncode == 0 and out["count"] == "4", result.stderr


@pytest.mark.parametrize("text, where, message", [
    (environment("qa"), "5:1", "spec.stage: environment 'qa' has no spec.stage"),
    (environment("qa", "two"), "8:10", "spec.stage: 'two': expected an integer from 1 to 1000"),
    (environment("qa", 0), "8:10", "spec.stage: 0: expected an integer from 1 to 1000"),
    (environment("qa", "true"), "8:10", "spec.stage: True: expected an integer"),
    (environment("QA", 1), "4:9", "metadata.name: 'QA': expected lower-case letters"),
    ("apiVersion: sagectl/v1\nkind: Environment\nmetadata: {name: qa\n", "4:1",
     "file: not valid YAML: expected ',' or '}'"),
    (environment("qa", 1) + "---\n" + environment("qb", 1), "9:1",
     "file: an environment file holds exactly one Environment document"),
    ("- just\n- a list\n", "1:1", "file: an environment file is one mapping"),
])
def test_a_broken_environment_file_fails_the_stages_clearly(tmp_path: Path, text: str,
                                                            where: str, message: str) -> None:
    specs = tree(tmp_path, {"dev.yaml": environment("dev", 1), "qa.yaml": text})
    result, out = stages(specs, 4, tmp_path)
    assert result.returncode == 1 and out == {}, result.stdout
    assert f"{specs / 'environments' / 'qa.yaml'}:{where}: error: {message}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_lenient_listings_keep_a_broken_file_for_validate_to_report(tmp_path: Path) -> None:
    specs = tree(tmp_path, {"dev.yaml": environment("dev", 1),
                            "qa.yaml": "metadata: {name: qa\n"})
    result = run("environments.py", "--specs", str(specs), "--matrix")
    assert result.returncode == 0, result.stderr
    matrix = json.loads(result.stdout.splitlines()[0].removeprefix("matrix="))
    assert [e["name"] for e in matrix] == ["dev", "qa"]  # planned: its plan fails, visibly
    assert f"{specs / 'environments' / 'qa.yaml'}:2:1: not valid YAML" in result.stderr
    result = run("environments.py", "--specs", str(specs), "--env", "dev")
    assert result.stdout.splitlines() == ["name=dev", "key=DEV", "region=eu-west-1",
                                          "account=111111111111", "stage=1"]


def test_stages_needs_the_slots() -> None:
    result = run("environments.py", "--stages")
    assert result.returncode == 2 and "--stages needs --slots N" in result.stderr
    result = run("environments.py", "--matrix", "--slots", "4")
    assert result.returncode == 2 and "--slots goes with --stages" in result.stderr


def test_the_slots_are_the_same_number_in_apply_yml_and_plan_yml() -> None:
    """apply.yml's stage-N jobs, the --slots its stages job passes, and the --slots plan.yml's
    validate job checks a pull request against: one number."""
    apply = yaml.safe_load((WORKFLOWS / "apply.yml").read_text())["jobs"]
    slots = len([n for n in apply if re.fullmatch(r"stage-\d+", n)])
    runs = {name: "\n".join(str(step.get("run", ""))
                            for job in yaml.safe_load((WORKFLOWS / name).read_text())["jobs"].values()
                            for step in job.get("steps", []))
            for name in ("apply.yml", "plan.yml")}
    for name, text in runs.items():
        found = re.findall(r"environments\.py --stages --slots (\d+)", text)
        assert found == [str(slots)], (name, found, slots)
    outputs_ = apply["stages"]["outputs"]
    assert set(outputs_) == {"count", *(f"stage-{n}" for n in range(1, slots + 1))}
    validate = yaml.safe_load((WORKFLOWS / "plan.yml").read_text())["jobs"]["validate"]
    (check,) = [s for s in validate["steps"] if "--stages" in str(s.get("run"))]
    assert check["if"] == "${{ !cancelled() }}"  # shown even when validation failed


# --------------------------------------------------------------------------------------------
# max-parallel


def test_max_parallel_comes_from_a_repository_variable() -> None:
    """GitHub allows the github, needs, vars and inputs contexts in jobs.<id>.strategy."""
    expected = {
        ("plan.yml", "plan"): "${{ fromJSON(vars.SAGECTL_MAX_PARALLEL || '8') }}",
        ("drift.yml", "drift"): "${{ fromJSON(vars.SAGECTL_MAX_PARALLEL || '8') }}",
        ("promote.yml", "promote"): "${{ fromJSON(vars.SAGECTL_MAX_PARALLEL || '4') }}",
        ("apply-stage.yml", "plan"): "${{ inputs.max-parallel }}",
        ("apply-stage.yml", "apply"): "${{ inputs.max-parallel }}",
        ("drift.yml", "heal"): 1,  # one heal at a time, on purpose
    }
    for (wf, job), value in expected.items():
        jobs = yaml.safe_load((WORKFLOWS / wf).read_text())["jobs"]
        assert jobs[job]["strategy"]["max-parallel"] == value, (wf, job)
    apply = yaml.safe_load((WORKFLOWS / "apply.yml").read_text())["jobs"]
    for name, job in apply.items():
        if name.startswith("stage-"):
            assert job["with"]["max-parallel"] == (
                "${{ fromJSON(vars.SAGECTL_MAX_PARALLEL || '8') }}")
    docs = (REPO / "docs" / "github-workflows.md").read_text()
    assert "SAGECTL_MAX_PARALLEL" in docs


# --------------------------------------------------------------------------------------------
# stage-review.py


def test_the_review_applies_the_environments_with_changes_from_the_tip() -> None:
    review = stage_review.review
    both = ["eu", "us"]
    result = review(both, {"eu": "apply", "us": "apply"}, {"eu": "2", "us": "0"})
    assert result.current and result.apply == ["eu"] and result.error is None
    assert review(both, {"eu": "apply", "us": "apply"}, {"eu": "0", "us": "0"}).apply == []
    superseded = review(both, {"eu": "apply", "us": "skip"}, {"eu": "2"})
    assert not superseded.current and superseded.apply == [] and superseded.error is None
    failed = review(both, {"eu": "apply", "us": "apply"}, {"eu": "2", "us": "1"})
    assert failed.error == "us: plan exit 1" and failed.apply == []
    missing = review(both, {"eu": "apply"}, {"eu": "2"})
    assert missing.error == "us: no gate decision" and not missing.current


def _leg(out: Path, env: str, gate: str, rc: str | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"gate-{env}").write_text(gate + "\n")
    if rc is not None:
        (out / f"plan-{env}.rc").write_text(rc + "\n")
        (out / f"plan-{env}.json").write_text("{}")


def test_the_review_script_writes_the_apply_matrix_and_the_summary(tmp_path: Path) -> None:
    envs = [{"name": n, "key": n.upper(), "region": "eu-west-1", "account": "1", "stage": "2"}
            for n in ("eu", "us")]
    plans = tmp_path / "plans"
    _leg(plans, "eu", "apply", "2")
    _leg(plans, "us", "apply", "0")
    gh_out, summary = tmp_path / "out", tmp_path / "summary.md"
    result = run("stage-review.py", str(plans), "--stage", "2", "--environments",
                 json.dumps(envs), "--github-output", GITHUB_OUTPUT=str(gh_out),
                 GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 0, result.stderr
    out = outputs(gh_out)
    assert json.loads(out["matrix"]) == [envs[0]] and out["any"] == "true"
    assert out["current"] == "true"
    text = summary.read_text()
    assert text.startswith("### Stage 2\n") and "| `us` | no changes: nothing to approve |" in text

    _leg(plans, "eu", "apply", "0")  # nothing to apply: the apply job's `if` skips it
    gh_out.unlink()
    result = run("stage-review.py", str(plans), "--stage", "2", "--environments",
                 json.dumps(envs), "--github-output", GITHUB_OUTPUT=str(gh_out))
    assert outputs(gh_out) == {"matrix": "[]", "any": "false", "current": "true"}

    (plans / "plan-us.rc").unlink()  # a plan job that left no result: red, nothing applied
    gh_out.unlink()
    result = run("stage-review.py", str(plans), "--stage", "2", "--environments",
                 json.dumps(envs), "--github-output", GITHUB_OUTPUT=str(gh_out))
    assert result.returncode == 1 and "us: plan result missing" in result.stderr
    assert outputs(gh_out)["any"] == "false"
    result = run("stage-review.py", str(plans), "--stage", "2", "--environments", "nope")
    assert result.returncode == 2 and "not a stage matrix" in result.stderr


# --------------------------------------------------------------------------------------------
# one stage, as apply-stage.yml runs it, against a served emulator


def test_a_stage_planned_reviewed_and_applied_from_its_saved_plan(tmp_path: Path,
                                                                  server: str) -> None:
    """apply.yml's stages job, then stage 1 (dev) of apply-stage.yml step by step: the plan leg
    (pr-plan.sh with the read-only role; here the served emulator) and the gate's record, the
    artifacts merged as download-artifact does, the review, the apply leg from the saved plan.

    A new environment's first saved plan is refused once: a read-only plan cannot create the
    environment's digest key, so it uses a provisional one (README, *Secrets*); the refused
    apply creates the key, and the next run's plan applies. The example estate then waits for
    an approved model version (README): exit 6, the stage did not fully apply, so apply.yml
    would start no stage 2."""
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs)
    env = {"SPECS_DIR": str(specs), "SAGECTL_EMULATOR_URL": server}
    result, out = stages(specs, 4, tmp_path)
    assert result.returncode == 0, result.stderr
    stage1 = out["stage-1"]

    def plan_and_review(attempt: str) -> Path:
        leg = tmp_path / attempt / "leg-dev"
        result = run("pr-plan.sh", "--skip-validate", "--no-comment", "--out", str(leg), "dev",
                     cwd=tmp_path, **env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (leg / "plan-dev.rc").read_text().strip() == "2"  # changes
        (leg / "gate-dev").write_text("apply\n")  # apply_gate.py said apply: dev is the tip
        merged = tmp_path / attempt / "plan-out"
        shutil.copytree(leg, merged)
        gh_out = tmp_path / attempt / "review-output"
        result = run("stage-review.py", str(merged), "--stage", "1", "--environments", stage1,
                     "--github-output", GITHUB_OUTPUT=str(gh_out))
        assert result.returncode == 0, result.stderr
        review = outputs(gh_out)
        assert review["current"] == "true" and review["any"] == "true"
        (target,) = json.loads(review["matrix"])
        assert target["name"] == "dev" and target["key"] == "DEV"
        return merged

    def apply(merged: Path) -> tuple[subprocess.CompletedProcess[str], str]:
        summary = merged.parent / "apply-summary.md"
        result = run("apply.sh", "--out", str(merged.parent / "apply-out"), "--plan",
                     str(merged / "plan-dev.json"), "dev", cwd=tmp_path,
                     GITHUB_STEP_SUMMARY=str(summary), **env)
        return result, summary.read_text()

    result, text = apply(plan_and_review("first"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "made with a provisional digest key" in text and "re-run all jobs" in text

    result, text = apply(plan_and_review("again"))
    assert result.returncode == 6, result.stdout + result.stderr  # waiting: the job fails
    assert text.startswith("### sagectl apply `dev`: ⏸️ not applied (waiting) (exit 6)")
    assert "| ✅ |" in text  # what could be applied was, from the reviewed plan
