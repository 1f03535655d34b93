"""``sagectl promote`` against a served emulator with a real registry: each place a version can
live (an override, a variable, a literal in a shared spec, an absent key), byte-exact edits (LF,
CRLF, a BOM), dry runs, version checks, errors that leave the files alone, and plans that deploy
the pinned version afterwards."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from sagemaker_emulator.server import RemoteEmulator

REGION, ACCOUNT = "eu-west-1", "111111111111"
Cli = Callable[..., tuple[int, str, str]]

DEV = """\
# Development account.
apiVersion: sagectl/v1
kind: Environment
metadata:
  name: dev
spec:
  region: eu-west-1
  accountId: "111111111111"
  variables:
    scorerVersion: "latestApproved"   # the scorer follows the registry in dev
  overrides:
    - kind: Model
      name: ranker
      spec:
        primaryContainer:
          modelPackageVersion: 1  # dev keeps the old ranker
"""
PROD = """\
apiVersion: sagectl/v1
kind: Environment
metadata: {name: prod}
spec:
  region: eu-west-1
  accountId: "222222222222"
  variables: {scorerVersion: 1}
"""
MODELS = """\
# Registry-backed models.
apiVersion: sagectl/v1
kind: Model
metadata: {name: scorer}
spec:
  primaryContainer:
    modelPackageGroupName: fraud-models
    modelPackageVersion: ${scorerVersion}   # per environment
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: ranker}
spec:
  primaryContainer:
    modelPackageGroupName: 'fraud-models'
    modelPackageVersion: latestApproved
---
apiVersion: sagectl/v1
kind: Model
metadata:
  name: challenger
spec:
  primaryContainer:
    modelPackageGroupName: "fraud-models"
    modelPackageVersion: 'latestApproved'  # quoted on purpose
  tags: {team: "fraud"}
---
apiVersion: sagectl/v1
kind: Model
metadata:
  name: shadow
spec:
  primaryContainer:
    modelPackageGroupName: fraud-models  # no version: the latest approved
  tags: {team: 'fraud'}
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: flowy}
spec:
  primaryContainer: {modelPackageGroupName: fraud-models}   # flow style
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: blank}
spec:
  primaryContainer:
    modelPackageGroupName: fraud-models
    modelPackageVersion:   # to be decided
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: newbie}
spec:
  primaryContainer:
    modelPackageGroupName: new-models
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: image-model}
spec:
  executionRoleArn: arn:aws:iam::111111111111:role/inference
  primaryContainer:
    image: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/scorer:1
"""
ENDPOINTS = """\
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: fraud}
spec:
  # SageMaker takes one production variant beside a shadow variant (docs/sagemaker-rules.md 13)
  productionVariants:
    - variantName: challenger
      modelName: challenger
      instanceType: ml.m5.large
      initialInstanceCount: 1
      initialVariantWeight: 10
      # an image model stays as it is: only registry-backed models are pinned
      # (the endpoint "plain" below runs image-model)
  shadowProductionVariants:
    - variantName: shadow
      modelName: shadow
      instanceType: ml.m5.large
      initialInstanceCount: 1
      initialVariantWeight: 1
---
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: plain}
spec:
  productionVariants:
    - variantName: main
      modelName: image-model
      instanceType: ml.m5.large
      initialInstanceCount: 1
      initialVariantWeight: 1
"""
SERIAL = """\
apiVersion: sagectl/v1
kind: Model
metadata: {name: serial}
spec:
  executionRoleArn: arn:aws:iam::111111111111:role/inference
  containers:
    - image: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/pre:1
      containerHostname: pre
    - modelPackageGroupName: fraud-models
      containerHostname: model
"""
FILES = {"environments/dev.yaml": DEV, "environments/prod.yaml": PROD,
         "models.yaml": MODELS, "endpoints.yaml": ENDPOINTS, "serial.yaml": SERIAL}


@pytest.fixture
def registry(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RemoteEmulator]:
    """fraud-models: 1 Approved, 2 Approved, 3 PendingManualApproval (the newest), 4 Rejected;
    new-models: 1 PendingManualApproval only. Registered with boto3, a minute apart."""
    emu = RemoteEmulator(server, REGION)
    emu.reset()
    emu.freeze()
    monkeypatch.setenv("SAGECTL_EMULATOR_URL", server)
    sm = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                       region_name=REGION).client("sagemaker", endpoint_url=server)
    sm.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", ACCOUNT))
    for group, statuses in (("fraud-models", ["Approved", "Approved", "PendingManualApproval",
                                              "Rejected"]),
                            ("new-models", ["PendingManualApproval"])):
        sm.create_model_package_group(ModelPackageGroupName=group)
        for status in statuses:
            sm.create_model_package(
                ModelPackageGroupName=group, ModelApprovalStatus=status,
                InferenceSpecification={
                    "Containers": [{"Image": f"111111111111.dkr.ecr.{REGION}.amazonaws.com/x:1"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"]})
            emu.advance(60)
    yield emu
    emu.unfreeze()


def tree(root: Path, files: dict[str, str] = FILES, crlf: bool = False,
         bom: bool = False) -> dict[str, bytes]:
    """Write the spec tree under ``root/specs``; returns {path as the CLI shows it: bytes}."""
    (root / ".git").mkdir(exist_ok=True)
    out = {}
    for rel, text in files.items():
        data = text.replace("\n", "\r\n").encode() if crlf else text.encode()
        data = b"\xef\xbb\xbf" + data if bom else data
        path = root / "specs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[f"specs/{rel}"] = data
    return out


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "specs").rglob("*"))
            if p.is_file()}


def replaced(data: bytes, old: str, new: str, crlf: bool) -> bytes:
    """``data`` with the one occurrence of ``old`` replaced (computed without sagectl)."""
    if crlf:
        old, new = old.replace("\n", "\r\n"), new.replace("\n", "\r\n")
    assert data.count(old.encode()) == 1, old
    return data.replace(old.encode(), new.encode())


# (name, flags, edited file, old text, new text, the line sagectl prints)
CASES = {
    "override": ("ranker", ["--version", "2"], "specs/environments/dev.yaml",
                 "modelPackageVersion: 1  # dev keeps the old ranker",
                 "modelPackageVersion: 2  # dev keeps the old ranker",
                 "specs/environments/dev.yaml:16: ranker modelPackageVersion 1 -> 2"),
    "variable": ("scorer", ["--latest-approved"], "specs/environments/dev.yaml",
                 'scorerVersion: "latestApproved"   # the scorer follows',
                 "scorerVersion: 2   # the scorer follows",
                 "specs/environments/dev.yaml:10: scorer modelPackageVersion (variable "
                 "scorerVersion) latestApproved -> 2"),
    "literal": ("challenger", ["--version", "2"], "specs/models.yaml",
                "modelPackageVersion: 'latestApproved'  # quoted on purpose",
                "modelPackageVersion: 2  # quoted on purpose",
                "specs/models.yaml:25: challenger modelPackageVersion latestApproved -> 2"),
    "absent": ("shadow", ["--version", "1"], "specs/models.yaml",
               "    modelPackageGroupName: fraud-models  # no version: the latest approved\n",
               "    modelPackageGroupName: fraud-models  # no version: the latest approved\n"
               "    modelPackageVersion: 1\n",
               "specs/models.yaml:35: shadow modelPackageVersion latestApproved -> 1 (added)"),
    "flow": ("flowy", ["--version", "2"], "specs/models.yaml",
             "{modelPackageGroupName: fraud-models}   # flow style",
             "{modelPackageGroupName: fraud-models, modelPackageVersion: 2}   # flow style",
             "specs/models.yaml:41: flowy modelPackageVersion latestApproved -> 2 (added)"),
    "containers": ("serial", ["--latest-approved"], "specs/serial.yaml",
                   "    - modelPackageGroupName: fraud-models\n",
                   "    - modelPackageGroupName: fraud-models\n      modelPackageVersion: 2\n",
                   "specs/serial.yaml:10: serial containers[1].modelPackageVersion "
                   "latestApproved -> 2 (added)"),
    "empty": ("blank", ["--version", "2"], "specs/models.yaml",
              "modelPackageVersion:   # to be decided", "modelPackageVersion: 2   # to be decided",
              "specs/models.yaml:49: blank modelPackageVersion latestApproved -> 2"),
}


@pytest.mark.parametrize("newlines", ["lf", "crlf", "crlf+bom"])
@pytest.mark.parametrize("case", list(CASES))
def test_promote_edits_exactly_one_scalar(cli: Cli, registry: RemoteEmulator, tmp_path: Path,
                                          case: str, newlines: str) -> None:
    name, flags, file, old, new, line = CASES[case]
    crlf = newlines.startswith("crlf")
    original = tree(tmp_path, crlf=crlf, bom="bom" in newlines)
    code, out, err = cli("promote", name, "--env", "dev", *flags, cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines() == [line]
    expected = {**original, file: replaced(original[file], old, new, crlf)}
    assert snapshot(tmp_path) == expected  # every other byte of every file is unchanged
    shared = f"note: {file} is shared by environments dev, prod" in err
    assert shared == (case not in ("override", "variable")), err
    code, out, err = cli("validate", "specs", cwd=tmp_path)
    assert code == 0, err


def test_shared_spec_names_the_other_environments(cli: Cli, registry: RemoteEmulator,
                                                  tmp_path: Path) -> None:
    tree(tmp_path)
    code, _, err = cli("promote", "challenger", "--env", "dev", "--version", "2", cwd=tmp_path)
    assert code == 0, err
    assert err == ("note: specs/models.yaml is shared by environments dev, prod: this also pins "
                   "challenger to fraud-models version 2 in prod. To promote dev alone, set "
                   "modelPackageVersion in an override for Model challenger in "
                   "specs/environments/dev.yaml instead.\n")


def test_endpoint_pins_its_registry_models_and_the_plan_deploys_them(
        cli: Cli, registry: RemoteEmulator, tmp_path: Path) -> None:
    original = tree(tmp_path)
    code, out, err = cli("promote", "fraud", "--env", "dev", "--version", "1", cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines() == [
        "specs/models.yaml:25: challenger modelPackageVersion latestApproved -> 1",
        "specs/models.yaml:35: shadow modelPackageVersion latestApproved -> 1 (added)"]
    models = replaced(original["specs/models.yaml"], CASES["literal"][3],
                      "modelPackageVersion: 1  # quoted on purpose", False)
    models = replaced(models, CASES["absent"][3], CASES["absent"][4], False)
    assert snapshot(tmp_path) == {**original, "specs/models.yaml": models}

    assert cli("validate", "specs", cwd=tmp_path)[0] == 0
    code, out, err = cli("plan", "specs", "--env", "dev", "--format", "json", cwd=tmp_path)
    assert code == 0, err
    steps = {c["address"]: c["steps"][0]["params"]["PrimaryContainer"]["ModelPackageName"]
             for c in json.loads(out)["resource_changes"] if c["kind"] == "Model"
             and c["steps"][0]["params"].get("PrimaryContainer", {}).get("ModelPackageName")}
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud-models"
    assert steps["Model.challenger"] == f"{arn}/1"
    assert steps["Model.shadow"] == f"{arn}/1"
    assert steps["Model.ranker"] == f"{arn}/1"   # dev's override
    assert steps["Model.scorer"] == f"{arn}/2"   # still the latest approved


def test_latest_approved_is_the_newest_approved(cli: Cli, registry: RemoteEmulator,
                                                tmp_path: Path) -> None:
    tree(tmp_path)
    code, out, err = cli("promote", "challenger", "--env", "dev", "--latest-approved",
                         cwd=tmp_path)
    assert code == 0, err
    # 3 is newer but pending, 1 is approved but older
    assert out.endswith("challenger modelPackageVersion latestApproved -> 2\n")


def test_no_approved_version_is_an_error(cli: Cli, registry: RemoteEmulator,
                                         tmp_path: Path) -> None:
    original = tree(tmp_path)
    code, out, err = cli("promote", "newbie", "--env", "dev", "--latest-approved", cwd=tmp_path)
    assert (code, out) == (1, "")
    assert err == "sagectl: model package group new-models has no Approved version (or does " \
                  "not exist)\n"
    assert snapshot(tmp_path) == original


def test_pending_version_warns_and_pins(cli: Cli, registry: RemoteEmulator,
                                        tmp_path: Path) -> None:
    tree(tmp_path)
    code, out, err = cli("promote", "ranker", "--env", "dev", "--version", "3", cwd=tmp_path)
    assert code == 0, err
    assert "sagectl: warning: fraud-models version 3 is PendingManualApproval, not Approved" in err
    assert out.endswith("ranker modelPackageVersion 1 -> 3\n")


def test_missing_version_is_refused(cli: Cli, registry: RemoteEmulator, tmp_path: Path) -> None:
    original = tree(tmp_path)
    code, out, err = cli("promote", "challenger", "--env", "dev", "--version", "9", cwd=tmp_path)
    assert (code, out) == (1, "")
    assert err.startswith("sagectl: model package group fraud-models has no version 9 ")
    assert "Traceback" not in err
    assert snapshot(tmp_path) == original


def test_dry_run_prints_an_applicable_diff_and_writes_nothing(
        cli: Cli, registry: RemoteEmulator, tmp_path: Path) -> None:
    original = tree(tmp_path)
    code, out, err = cli("promote", "fraud", "--env", "dev", "--version", "2", "--dry-run",
                         cwd=tmp_path)
    assert code == 0, err
    assert snapshot(tmp_path) == original
    assert out.startswith("--- a/specs/models.yaml\n+++ b/specs/models.yaml\n@@ ")
    assert "-    modelPackageVersion: 'latestApproved'  # quoted on purpose\n" in out
    assert "+    modelPackageVersion: 2  # quoted on purpose\n" in out
    assert "+    modelPackageVersion: 2\n" in out
    assert [line[0] for line in out.splitlines()[2:] if line[0] in "+-"] == ["-", "+", "+"]
    if shutil.which("git") is None:
        return
    (tmp_path / "change.diff").write_text(out)
    subprocess.run(["git", "apply", "change.diff"], cwd=tmp_path, check=True)
    applied = snapshot(tmp_path)
    tree(tmp_path)
    assert cli("promote", "fraud", "--env", "dev", "--version", "2", cwd=tmp_path)[0] == 0
    assert applied == snapshot(tmp_path)  # the diff is exactly what promote writes


def test_already_pinned_writes_nothing(cli: Cli, registry: RemoteEmulator,
                                       tmp_path: Path) -> None:
    original = tree(tmp_path)
    env_file = tmp_path / "specs" / "environments" / "dev.yaml"
    before = env_file.stat().st_mtime_ns, env_file.stat().st_ino
    code, out, err = cli("promote", "ranker", "--env", "dev", "--version", "1", cwd=tmp_path)
    assert code == 0, err
    assert out == ("ranker modelPackageVersion is already pinned to fraud-models version 1; "
                   "nothing to change\n")
    assert snapshot(tmp_path) == original
    assert (env_file.stat().st_mtime_ns, env_file.stat().st_ino) == before


@pytest.mark.parametrize("flags", [[], ["--version", "2", "--latest-approved"],
                                   ["--version", "0"], ["--version", "two"]])
def test_exactly_one_valid_version_flag(cli: Cli, tmp_path: Path, flags: list[str]) -> None:
    tree(tmp_path)
    with pytest.raises(SystemExit) as exc:
        cli("promote", "challenger", "--env", "dev", *flags, cwd=tmp_path)
    assert exc.value.code == 2


def test_env_is_required_when_the_specs_define_environments(cli: Cli, tmp_path: Path) -> None:
    tree(tmp_path)
    code, _, err = cli("promote", "challenger", "--version", "2", cwd=tmp_path)
    assert code == 2 and "choose an environment with --env (dev, prod)" in err


@pytest.mark.parametrize(("name", "message"), [
    ("challengr", "sagectl: no Model or Endpoint named 'challengr' in environment dev; did you "
                  "mean 'challenger'?\n"),
    ("image-model", "sagectl: model image-model has no container from the registry "
                    "(modelPackageGroupName or modelPackageGroupArn); there is no version to promote\n"),
    ("plain", "sagectl: endpoint plain uses no model from the registry (its models: "
              "image-model; a registry model has a container with modelPackageGroupName)\n"),
])
def test_nothing_to_promote_is_a_clear_error(cli: Cli, registry: RemoteEmulator, tmp_path: Path,
                                             name: str, message: str) -> None:
    original = tree(tmp_path)
    code, out, err = cli("promote", name, "--env", "dev", "--version", "2", cwd=tmp_path)
    assert (code, out, err) == (1, "", message)
    assert snapshot(tmp_path) == original


def test_invalid_specs_are_refused(cli: Cli, registry: RemoteEmulator, tmp_path: Path) -> None:
    original = tree(tmp_path, {**FILES, "endpoints.yaml": ENDPOINTS.replace(
        "initialInstanceCount: 1\n      initialVariantWeight: 10", "initialInstanceCount: one\n"
        "      initialVariantWeight: 10")})
    code, out, err = cli("promote", "challenger", "--env", "dev", "--version", "2", cwd=tmp_path)
    assert code == 1 and out == ""
    assert "specs/endpoints.yaml:10:29: error:" in err
    assert err.endswith("sagectl: the specs are invalid; nothing was promoted\n")
    assert snapshot(tmp_path) == original


def test_an_edit_that_breaks_validation_is_rolled_back(cli: Cli, registry: RemoteEmulator,
                                                       tmp_path: Path) -> None:
    """The variable also feeds a tag, which must be a string: pinning it to a number makes the
    specs invalid, so the file is put back as it was."""
    models = MODELS.replace("    modelPackageVersion: ${scorerVersion}   # per environment\n",
                            "    modelPackageVersion: ${scorerVersion}   # per environment\n"
                            "  tags:\n    channel: ${scorerVersion}\n")
    original = tree(tmp_path, {**FILES, "models.yaml": models, "environments/prod.yaml":
                               PROD.replace("{scorerVersion: 1}", "{scorerVersion: latestApproved}")})
    code, out, err = cli("promote", "scorer", "--env", "dev", "--version", "2", cwd=tmp_path)
    assert code == 1 and out == ""
    assert "note: variable scorerVersion (specs/environments/dev.yaml) is also used at " \
           "specs/models.yaml:10:14; those values change too" in err
    assert "specs/models.yaml:10:14: error: spec.tags.channel:" in err
    assert err.endswith("sagectl: the edited specs do not validate; the files were restored, "
                        "nothing changed\n")
    assert snapshot(tmp_path) == original


def test_an_override_that_deletes_the_version_is_where_the_pin_goes(
        cli: Cli, registry: RemoteEmulator, tmp_path: Path) -> None:
    """`modelPackageVersion: null` in dev's override removes the base value for dev only: the
    pin replaces that null, and the shared spec (prod's value) is left alone."""
    dev = DEV + ("    - kind: Model\n      name: challenger\n      spec:\n"
                 "        primaryContainer:\n          modelPackageVersion: null   # follow\n")
    original = tree(tmp_path, {**FILES, "environments/dev.yaml": dev})
    code, out, err = cli("promote", "challenger", "--env", "dev", "--version", "2", cwd=tmp_path)
    assert code == 0 and err == "", err
    assert out == "specs/environments/dev.yaml:21: challenger modelPackageVersion " \
                  "latestApproved -> 2\n"
    assert snapshot(tmp_path) == {**original, "specs/environments/dev.yaml": replaced(
        original["specs/environments/dev.yaml"], "modelPackageVersion: null   # follow",
        "modelPackageVersion: 2   # follow", False)}


REFUSED = """\
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: anchored}
spec:
  primaryContainer:
    modelPackageGroupName: fraud-models
    modelPackageVersion: &pinned 1
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: merged}
spec:
  primaryContainer:
    <<: {modelPackageGroupName: fraud-models}
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: quoted}
spec:
  primaryContainer:
    modelPackageGroupName: fraud-models
    modelPackageVersion: "${quotedVersion}"
"""


@pytest.mark.parametrize(("name", "message"), [
    ("anchored", "sagectl: specs/models.yaml:72:26: this value has a YAML anchor or tag, or is "
                 "inside an anchored block that other places may share; edit it by hand\n"),
    ("merged", "sagectl: specs/models.yaml:79:5: merged's modelPackageGroupName comes from a YAML "
               "merge key or anchor; add `modelPackageVersion: 2` by hand\n"),
    ("quoted", "sagectl: specs/models.yaml:87:26: quoted modelPackageVersion is "
               "'${quotedVersion}'; only an unquoted ${variable} can be promoted (edit it by "
               "hand)\n"),
])
def test_values_sagectl_cannot_edit_safely_are_refused(
        cli: Cli, registry: RemoteEmulator, tmp_path: Path, name: str, message: str) -> None:
    variables = '    quotedVersion: "latestApproved"\n'
    original = tree(tmp_path, {
        **FILES, "models.yaml": MODELS + REFUSED,
        "environments/dev.yaml": DEV.replace("  overrides:\n", variables + "  overrides:\n"),
        "environments/prod.yaml": PROD.replace("{scorerVersion: 1}",
                                               "{scorerVersion: 1, quotedVersion: latestApproved}")})
    code, out, err = cli("promote", name, "--env", "dev", "--version", "2", cwd=tmp_path)
    assert (code, out, err) == (1, "", message)
    assert snapshot(tmp_path) == original
