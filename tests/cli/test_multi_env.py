"""Several environments in one command (``--env 'p*'``, ``--env dev,prod``, ``--env '*'``),
against one served emulator holding two accounts in two regions: dev 111111111111 in eu-west-1
and prod 222222222222 in us-east-1. Each environment runs in its own ``sagectl`` process
(reconciler/cli/multi.py), which reaches the emulator through ``SAGECTL_EMULATOR_URL``."""

from __future__ import annotations

import json
import signal
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sagemaker_emulator.server import RemoteEmulator
from tests.conftest import EXAMPLES

Cli = Callable[..., tuple[int, str, str]]
DEV, PROD = "111111111111", "222222222222"


def env_file(name: str, region: str, account: str, stage: int | None, extra: str = "") -> str:
    staged = f"  stage: {stage}\n" if stage is not None else ""
    return (f"apiVersion: sagectl/v1\nkind: Environment\nmetadata: {{name: {name}}}\n"
            f"spec:\n  region: {region}\n  accountId: \"{account}\"\n{staged}{extra}")


MODEL = """
apiVersion: sagectl/v1
kind: Model
metadata: {name: scorer-model}
spec:
  executionRoleArn: arn:aws:iam::${accountId}:role/inference
  primaryContainer:
    image: ${accountId}.dkr.ecr.${region}.amazonaws.com/scorer:1
"""
ENDPOINT = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: "scorer-${env}"}
spec:
  productionVariants:
    - variantName: primary
      modelName: scorer-model
      instanceType: ml.m5.large
      initialInstanceCount: 1
"""


def tree(root: Path, dev_stage: int | None = 1, prod_stage: int | None = 2,
         prod_extra: str = "") -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    files = {"environments/dev.yaml": env_file("dev", "eu-west-1", DEV, dev_stage),
             "environments/prod.yaml": env_file("prod", "us-east-1", PROD, prod_stage,
                                                prod_extra),
             "model.yaml": MODEL, "endpoint.yaml": ENDPOINT}
    specs = root / "specs"
    for rel, text in files.items():
        path = specs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return specs


@pytest.fixture
def remote(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RemoteEmulator]:
    emu = RemoteEmulator(server, "eu-west-1")
    emu.reset()
    emu.unfreeze()
    emu.set_time_factor(0.001)
    monkeypatch.setenv("SAGECTL_EMULATOR_URL", server)
    yield emu


def endpoints(remote: RemoteEmulator, account: str, region: str) -> list[str]:
    client = remote.client("sagemaker", region=region)
    client.meta.events.register(
        "before-send", lambda request, **_: request.headers.__setitem__(
            "x-moto-account-id", account))
    return sorted(e["EndpointName"] for e in client.list_endpoints()["Endpoints"])


def test_a_list_or_pattern_selects_environments_and_one_match_is_as_today(
        cli: Cli, remote: RemoteEmulator, tmp_path: Path) -> None:
    specs = tree(tmp_path)
    code, out, err = cli("plan", str(specs), "--env", "d*,prod", "--format", "json")
    assert code == 0, err
    assert list(json.loads(out)["environments"]) == ["dev", "prod"]

    # a pattern naming one environment is that environment, exactly as before
    one = cli("plan", str(specs), "--env", "p*")
    named = cli("plan", str(specs), "--env", "prod")
    assert one == named and one[0] == 0 and "environment prod (account 222222222222" in one[1]

    code, out, err = cli("plan", str(specs), "--env", "stag*")
    assert code == 1 and not out
    assert "the pattern 'stag*' matches no environment; defined: dev (" in err, err
    assert "environments/prod.yaml:3:" in err, err
    code, out, err = cli("drift", str(specs), "--env", "dev,qa")
    assert code == 1 and "the environment 'qa' matches no environment" in err, err


def test_combined_plan_in_three_formats(cli: Cli, remote: RemoteEmulator,
                                        tmp_path: Path) -> None:
    specs = tree(tmp_path)
    code, out, err = cli("plan", str(specs), "--env", "*", "--format", "json",
                         "--detailed-exitcode", "--parallel-envs", "2")
    assert code == 2, err
    envs = json.loads(out)["environments"]
    assert (envs["dev"]["account"], envs["dev"]["region"]) == (DEV, "eu-west-1")
    assert (envs["prod"]["account"], envs["prod"]["region"]) == (PROD, "us-east-1")
    assert [c["address"] for c in envs["prod"]["resource_changes"]] == [
        "Model.scorer-model", "Endpoint.scorer-prod"]

    code, out, err = cli("plan", str(specs), "--env", "*")
    assert code == 0, err
    assert out.index("=== environment dev ===") < out.index("=== environment prod ===")
    assert "arn:aws:iam::222222222222:role/inference" in out
    assert out.rstrip().endswith(
        "Plan of 2 environments:\n  dev   Plan: 2 to create, 0 to update, 0 to replace, 0 to "
        "delete.\n  prod  Plan: 2 to create, 0 to update, 0 to replace, 0 to delete."), out

    code, out, err = cli("plan", str(specs), "--env", "dev,prod", "--format", "markdown")
    assert code == 0, err
    assert out.startswith("### sagectl plan: 2 environments\n\n| Environment | Result |")
    assert "| `prod` | Plan: 2 to create," in out
    assert out.count("<details><summary><code>dev</code>: Plan: 2 to create") == 1
    assert "### sagectl plan for `prod`" in out  # each environment's own plan comment inside


def test_saving_plans_of_several_environments_needs_one_file_each(
        cli: Cli, remote: RemoteEmulator, tmp_path: Path) -> None:
    specs = tree(tmp_path)
    code, _, err = cli("plan", str(specs), "--env", "*", "--out", str(tmp_path / "plan.json"))
    assert code == 2 and "write {env} in the file name" in err, err
    assert not (tmp_path / "plan.json").exists()
    code, _, err = cli("plan", str(specs), "--env", "*", "--out",
                       str(tmp_path / "plan-{env}.json"))
    assert code == 0, err
    saved = json.loads((tmp_path / "plan-prod.json").read_text())
    assert saved["env"] == "prod" and saved["account"] == PROD
    assert json.loads((tmp_path / "plan-dev.json").read_text())["env"] == "dev"


def test_a_failing_environment_does_not_stop_the_others(cli: Cli, remote: RemoteEmulator,
                                                         tmp_path: Path) -> None:
    # prod's specs are invalid (an override of a resource that does not exist): its process
    # fails, dev's plan is still made and shown
    specs = tree(tmp_path, prod_extra="  overrides:\n    - {kind: Endpoint, name: nope, "
                                      "spec: {}}\n")
    code, out, err = cli("plan", str(specs), "--env", "*", "--format", "json",
                         "--detailed-exitcode")
    assert code == 1, err
    envs = json.loads(out)["environments"]
    assert envs["dev"]["resource_changes"], envs["dev"]
    assert envs["prod"]["exit_code"] == 1
    assert "environments/prod.yaml:9:7" in envs["prod"]["error"], envs["prod"]
    assert "which is not defined in the specs" in envs["prod"]["error"]
    code, out, err = cli("drift", str(specs), "--env", "*")
    assert code == 1, err
    assert "  prod  error (exit 1)" in out and "  dev   Drift: 2 actionable" in out, out

    # AWS refuses the first environment's first SageMaker call (one at a time: dev's): dev's
    # process fails with AWS's error, prod's plan is made
    specs = tree(tmp_path)
    remote.inject("denied", service="sagemaker", times=1)
    code, out, err = cli("plan", str(specs), "--env", "*", "--parallel-envs", "1",
                         "--format", "json")
    assert code == 1, err
    envs = json.loads(out)["environments"]
    assert envs["dev"]["exit_code"] == 1 and "AccessDenied" in envs["dev"]["error"], envs["dev"]
    assert [c["address"] for c in envs["prod"]["resource_changes"]] == [
        "Model.scorer-model", "Endpoint.scorer-prod"]


def test_combined_drift(cli: Cli, remote: RemoteEmulator, tmp_path: Path) -> None:
    specs = tree(tmp_path)
    code, out, err = cli("drift", str(specs), "--env", "*", "--detailed-exitcode",
                         "--format", "json")
    assert code == 2, err
    envs = json.loads(out)["environments"]
    assert {i["address"]: i["class"] for i in envs["prod"]["drift"]} == {
        "Model.scorer-model": "missing", "Endpoint.scorer-prod": "missing"}
    code, out, err = cli("drift", str(specs), "--env", "*", "--format", "markdown")
    assert code == 0, err
    assert "| `dev` | Drift: 2 actionable, 0 informational (2 missing). |" in out, out
    assert "### sagectl drift for `prod`" in out
    code, _, err = cli("drift", str(specs), "--env", "*", "--heal")
    assert code == 2 and "heal one environment at a time" in err


def test_staged_apply_stops_at_the_first_stage_that_did_not_fully_apply(
        cli: Cli, remote: RemoteEmulator, tmp_path: Path) -> None:
    specs = tree(tmp_path)
    remote.fail_next_create("scorer-dev")  # stage 1 (dev, account 111111111111) fails
    code, out, err = cli("apply", str(specs), "--env", "*", "--auto-approve", "--poll-seconds",
                         "1")
    assert code == 5, (out, err)  # SageMaker left the endpoint Failed: degraded
    assert "stage 1  dev: exit 5: 1 applied, 1 degraded" in out, out
    assert "stage 2 (prod): not started: stage 1 did not fully apply (dev: exit 5)" in out, out
    assert "Apply stopped at stage 1." in out
    assert "stage 2  prod" not in out
    assert endpoints(remote, PROD, "us-east-1") == []  # prod was never touched

    # dev has nothing left to change (its Failed endpoint is drift for a person: sagectl drift
    # says failed_deployment), so the next run goes on to prod; each event names its environment
    code, out, err = cli("apply", str(specs), "--env", "dev,prod", "--auto-approve", "--json",
                         "--poll-seconds", "1")
    assert code == 0, (out, err)
    evs = [json.loads(line) for line in out.splitlines()]
    stages = [e["stage"] for e in evs if "env" in e]
    assert stages == sorted(stages), stages  # never two stages at once
    done = [(e["env"], e["stage"], e["exit_code"]) for e in evs
            if e["event"] == "environment_done"]
    assert done == [("dev", 1, 0), ("prod", 2, 0)], done
    assert any(e["event"] == "summary" and e["env"] == "prod" and e["applied"] == 2
               for e in evs)
    assert evs[-1] == {"event": "estate_summary", "stages": 2, "applied_stages": 2,
                       "exit_code": 0}
    assert endpoints(remote, DEV, "eu-west-1") == ["scorer-dev"]
    assert endpoints(remote, PROD, "us-east-1") == ["scorer-prod"]


def test_an_apply_of_several_environments_needs_their_stages(
        cli: Cli, remote: RemoteEmulator, tmp_path: Path) -> None:
    specs = tree(tmp_path, prod_stage=None)
    code, out, err = cli("apply", str(specs), "--env", "*", "--auto-approve")
    assert code == 1 and not out
    assert "environments/prod.yaml:3:18: error: environment 'prod' has no spec.stage" in err, err
    assert "nothing was applied" in err
    assert endpoints(remote, DEV, "eu-west-1") == []
    bad = tree(tmp_path, prod_stage=0)
    code, _, err = cli("apply", str(bad), "--env", "*", "--auto-approve")
    assert code == 1 and "environments/prod.yaml:7:10" in err and "stage" in err, err


class _Terminal:
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer", ["yes", "no"])
def test_one_confirmation_for_the_whole_run_lists_the_stages(
        cli: Cli, remote: RemoteEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        answer: str) -> None:
    specs = tree(tmp_path)
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or answer)
    code, out, err = cli("apply", str(specs), "--env", "*", "--poll-seconds", "1")
    assert asked == ["Apply these plans in 2 stage(s) (stage 1: dev; stage 2: prod), each stage "
                     "only if the previous one applied fully? Only 'yes' is accepted: "]
    assert out.index("=== environment dev ===") < out.index("=== environment prod ===")
    if answer == "no":
        assert code == 1 and "nothing was applied" in err
        assert endpoints(remote, DEV, "eu-west-1") == []
        return
    assert code == 0, (out, err)
    assert "stage 2  prod: exit 0: 2 applied" in out, out
    assert endpoints(remote, PROD, "us-east-1") == ["scorer-prod"]


def test_with_the_embedded_emulator_every_environment_shares_one(
        cli: Cli, remote: RemoteEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--emulator`` over several environments: one served emulator for all the children (each
    would otherwise start its own, empty one), the accounts apart in it. (``remote`` only
    empties this process's emulated AWS, which the embedded emulator serves.)"""
    monkeypatch.delenv("SAGECTL_EMULATOR_URL", raising=False)
    specs = tree(tmp_path)
    code, out, err = cli("apply", str(specs), "--env", "*", "--emulator", "--auto-approve",
                         "--poll-seconds", "1")
    assert code == 0, (out, err)
    assert "stage 1  dev: exit 0: 2 applied" in out and "stage 2  prod: exit 0: 2 applied" in out
    # the children used the emulator this process served (not one each, in their processes)
    assert endpoints(remote, DEV, "eu-west-1") == ["scorer-dev"]
    assert endpoints(remote, PROD, "us-east-1") == ["scorer-prod"]


def test_the_embedded_emulator_stands_for_every_environments_account_roles_or_not(
        cli: Cli, remote: RemoteEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with one environment: the embedded emulator is a new, empty AWS with no roles, so no
    environment's role is assumed there (each child would be refused: it has no such role)."""
    monkeypatch.delenv("SAGECTL_EMULATOR_URL", raising=False)
    role = f"  assumeRoleArn: arn:aws:iam::{PROD}:role/sagectl-apply\n"
    specs = tree(tmp_path, prod_extra=role + f"  planRoleArn: arn:aws:iam::{PROD}:role/plan\n")
    code, out, err = cli("plan", str(specs), "--env", "*", "--emulator")
    assert code == 0, (out, err)
    assert "cannot assume" not in err and "prod" in out and "Plan: 2 to create" in out, out
    code, out, err = cli("apply", str(specs), "--env", "*", "--emulator", "--auto-approve",
                         "--poll-seconds", "1")
    assert code == 0, (out, err)
    assert endpoints(remote, PROD, "us-east-1") == ["scorer-prod"]


def test_exit_codes_combine_to_the_worst() -> None:
    from argparse import Namespace

    from reconciler.cli.multi import combined_code, parallel_envs
    from reconciler.cli.multi_apply import worst

    assert combined_code([0, 2], detailed=True) == 2
    assert combined_code([0, 2], detailed=False) == 0
    assert combined_code([2, 1, 0], detailed=True) == 1  # an error outranks changes
    assert combined_code([1, 3], detailed=True) == 3
    assert worst([0, 6, 4]) == 4 and worst([5, 1]) == 5 and worst([0, 0]) == 0
    assert worst([6, 130]) == 130 and worst([0, 77]) == 77  # an unknown code counts as an error
    assert parallel_envs(Namespace(parallel_envs=None), 9) == 4
    assert parallel_envs(Namespace(parallel_envs=None), 2) == 2
    assert parallel_envs(Namespace(parallel_envs=8), 3) == 3


def test_the_combined_comment_fits_its_limit_every_environment_visible(
        cli: Cli, remote: RemoteEmulator, tmp_path: Path) -> None:
    from reconciler.cli.multi import Child
    from reconciler.cli.multi_report import render

    specs = tree(tmp_path)
    code, out, err = cli("plan", str(specs), "--env", "*", "--format", "json")
    assert code == 0, err
    children = [Child(env, 2, json.dumps(data), "")
                for env, data in json.loads(out)["environments"].items()]
    whole = render("plan", children, "markdown")
    assert "Steps:" in whole  # the change details, at the default limit
    small = render("plan", children, "markdown", limit=3_000)
    assert len(small) <= 3_000 and "Steps:" not in small, len(small)
    for env in ("dev", "prod"):  # each environment's summary and table are still there
        assert f"| `{env}` | Plan: 2 to create" in small
        assert f"| `+` | `Endpoint.scorer-{env}` | create |" in small
    assert small.count("were cut to fit a comment") == 2


def _stop_a_staged_apply(remote: RemoteEmulator, tmp_path: Path, to_group: bool,
                         signum: int, ignore_sigint: bool = False) -> tuple[int, str, str]:
    """Start ``apply --env '*'``, wait until dev's endpoint is Creating (frozen clock), send
    ``signum`` to the parent's process group or to the parent only; (exit code, out, err)."""
    import os
    import subprocess
    import sys
    import time

    specs = tree(tmp_path)
    remote.freeze()  # no simulated time passes: dev's endpoint stays Creating
    environ = {**os.environ, "SAGECTL_EMULATOR_URL": remote.endpoint_url or ""}
    parent = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(specs), "--env", "*",
         "--auto-approve", "--poll-seconds", "1"], env=environ, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint
        else None)
    try:
        deadline = time.monotonic() + 120
        while endpoints(remote, DEV, "eu-west-1") != ["scorer-dev"]:
            assert parent.poll() is None and time.monotonic() < deadline, parent.communicate()
            time.sleep(0.1)
        if to_group:
            os.killpg(parent.pid, signum)
        else:
            os.kill(parent.pid, signum)
        out, err = parent.communicate(timeout=120)
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
        remote.unfreeze()
    assert endpoints(remote, PROD, "us-east-1") == []
    return parent.returncode, out, err


@pytest.mark.parametrize("ignored", [False, True], ids=["terminal", "started-ignoring-sigint"])
def test_ctrl_c_stops_the_stage_and_starts_no_later_one(remote: RemoteEmulator,
                                                         tmp_path: Path, ignored: bool) -> None:
    """A terminal's Ctrl-C reaches the parent and the stage's children (one process group):
    each child stops itself cleanly (its own tests: tests/apply/test_stop.py), the parent says
    which stages were not started and exits 130. The same when sagectl was started with SIGINT
    ignored (a non-interactive shell's background job): the children's applies handle it
    anyway, and so does the parent, rather than report a stage that "did not fully apply"."""
    code, out, err = _stop_a_staged_apply(remote, tmp_path, True, signal.SIGINT, ignored)
    assert code == 130, (out, err)
    assert "stage 2 (prod): not started: stage 1 was stopped by Ctrl-C" in out, (out, err)
    assert "stage 1  dev: exit 130: " in out and "stage 2  prod" not in out, out
    assert "[dev] sagectl: stopped (SIGINT)" in err and "Resume with: sagectl apply" in err, err


def test_sigterm_to_the_parent_alone_is_passed_on_to_the_stage(remote: RemoteEmulator,
                                                               tmp_path: Path) -> None:
    """A CI system cancelling a job may signal only the process it started: the parent passes
    the SIGTERM on to its children, which stop cleanly and resumably; exit 143, and no later
    stage starts. Without the forwarding the parent would die at once and leave dev's apply
    running on its own."""
    code, out, err = _stop_a_staged_apply(remote, tmp_path, False, signal.SIGTERM)
    assert code == 143, (out, err)
    assert "SIGTERM received: passed on to the 1 running environment(s)" in err, err
    assert "stage 2 (prod): not started: stage 1 was stopped by SIGTERM" in out, (out, err)
    assert "stage 1  dev: exit 143: " in out, out
    assert "[dev] sagectl: stopped (SIGTERM)" in err and "Resume with: sagectl apply" in err, err


def test_the_combined_summary_of_waiting_changes_points_nowhere(cli: Cli, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """A plan with changes that wait says "see below" over its own list; the combined report's
    closing summary has nothing below it."""
    from reconciler.cli.multi import Child
    from reconciler.cli.multi_report import render

    monkeypatch.delenv("SAGECTL_EMULATOR_URL", raising=False)
    code, out, err = cli("plan", str(EXAMPLES), "--env", "dev", "--emulator", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["summary"]["waiting"] == 2  # the registry-backed challenger waits
    shown = render("plan", [Child("dev", 2, out, ""), Child("prod", 2, out, "")], "text")
    summary = shown[shown.index("Plan of 2 environments:"):]
    assert "(2 waiting)" in summary and "see below" not in summary
    assert "(2 waiting: see below)" in shown[:shown.index("Plan of 2 environments:")]
