"""Several environments in one command (``--env 'p*'``, ``--env dev,prod``, ``--env '*'``),
against one served emulator holding two accounts in two regions: dev 111111111111 in eu-west-1
and prod 222222222222 in us-east-1. Each environment runs in its own ``sagectl`` process
(reconciler/cli/multi.py), which reaches the emulator through ``SAGECTL_EMULATOR_URL``."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sagemaker_emulator.server import RemoteEmulator

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
