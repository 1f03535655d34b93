"""``sagectl promote --list-newer`` against a served emulator's registry: which pins are older
than their group's newest Approved version (with the package's metadata), which are pinned to a
Rejected version, which follow the newest one, per environment."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from sagemaker_emulator.server import RemoteEmulator

REGION, ACCOUNT = "eu-west-1", "111111111111"
Cli = Callable[..., tuple[int, str, str]]

ENV = """\
apiVersion: sagectl/v1
kind: Environment
metadata: {{name: {name}}}
spec:
  region: eu-west-1
  accountId: "111111111111"
  variables: {{scorerVersion: {version}}}
"""
MODELS = """\
apiVersion: sagectl/v1
kind: Model
metadata: {name: scorer}
spec:
  primaryContainer:
    modelPackageGroupName: fraud-models
    modelPackageVersion: ${scorerVersion}
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: follower}
spec:
  primaryContainer:
    modelPackageGroupName: fraud-models
---
apiVersion: sagectl/v1
kind: Model
metadata: {name: image-model}
spec:
  executionRoleArn: arn:aws:iam::111111111111:role/inference
  primaryContainer:
    image: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/scorer:1
"""
METRICS = {"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                           "S3Uri": "s3://registry/fraud/3/quality.json"}},
           "Bias": {"Report": {"ContentType": "application/json",
                               "S3Uri": "s3://registry/fraud/3/bias.json"}}}


def sagemaker(server: str) -> object:
    sm = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                       region_name=REGION).client("sagemaker", endpoint_url=server)
    sm.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", ACCOUNT))
    return sm


def register(sm: object, status: str, description: str = "", metrics: dict | None = None
             ) -> str:
    return sm.create_model_package(  # type: ignore[attr-defined]
        ModelPackageGroupName="fraud-models", ModelApprovalStatus=status,
        ModelPackageDescription=description, **({"ModelMetrics": metrics} if metrics else {}),
        InferenceSpecification={
            "Containers": [{"Image": f"111111111111.dkr.ecr.{REGION}.amazonaws.com/x:1"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]


@pytest.fixture
def registry(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """fraud-models: 1 Approved, 2 Rejected, 3 Approved (with metrics), 4 Pending."""
    emu = RemoteEmulator(server, REGION)
    emu.reset()
    emu.freeze()
    monkeypatch.setenv("SAGECTL_EMULATOR_URL", server)
    sm = sagemaker(server)
    sm.create_model_package_group(ModelPackageGroupName="fraud-models")  # type: ignore
    for status, description, metrics in (("Approved", "v1", None), ("Rejected", "v2", None),
                                         ("Approved", "retrained on November", METRICS),
                                         ("PendingManualApproval", "v4", None)):
        register(sm, status, description, metrics)
        emu.advance(60)
    yield sm
    emu.unfreeze()


def tree(root: Path, versions: dict[str, int]) -> None:
    (root / "specs" / "environments").mkdir(parents=True)
    for name, version in versions.items():
        (root / "specs" / "environments" / f"{name}.yaml").write_text(
            ENV.format(name=name, version=version))
    (root / "specs" / "models.yaml").write_text(MODELS)


def test_lists_newer_approved_versions_with_metadata(cli: Cli, registry: object,
                                                     tmp_path: Path) -> None:
    tree(tmp_path, {"dev": 1, "prod": 2, "stage": 3})
    code, out, err = cli("promote", "--list-newer", "specs", "--env", "dev", "--format", "json",
                         cwd=tmp_path)
    assert code == 0, err
    report = json.loads(out)
    assert report["environment"] == "dev" and report["account"] == ACCOUNT
    (candidate,) = report["candidates"]
    assert candidate["model"] == "scorer"
    assert candidate["command"] == "sagectl promote scorer --env dev --latest-approved"
    assert candidate["pins"] == [{"label": "scorer modelPackageVersion", "group": "fraud-models",
                                  "current": 1, "latestApproved": 3}]
    (package,) = candidate["packages"]
    assert package["version"] == 3 and package["approvalStatus"] == "Approved"
    assert package["description"] == "retrained on November"
    assert package["arn"].endswith(":model-package/fraud-models/3")
    assert package["metrics"] == [
        {"name": "ModelQuality.Statistics", "s3Uri": "s3://registry/fraud/3/quality.json",
         "contentType": "application/json"},
        {"name": "Bias.Report", "s3Uri": "s3://registry/fraud/3/bias.json",
         "contentType": "application/json"}]
    assert report["rejected"] == []
    assert [f["model"] for f in report["following"]] == ["follower"]
    assert report["groups"]["fraud-models"] == {
        "latestApproved": 3,
        "statuses": {"4": "PendingManualApproval", "3": "Approved", "2": "Rejected",
                     "1": "Approved"}}

    # prod pins the rejected version 2: listed as rejected, and 3 is newer
    code, out, err = cli("promote", "--list-newer", "specs", "--env", "prod", "--format", "json",
                         cwd=tmp_path)
    report = json.loads(out)
    assert report["rejected"] == [{"model": "scorer", "label": "scorer modelPackageVersion",
                                   "group": "fraud-models", "version": 2, "status": "Rejected"}]
    assert [c["model"] for c in report["candidates"]] == ["scorer"]

    # stage is on the newest Approved version: nothing to promote
    code, out, err = cli("promote", "--list-newer", "--env", "stage", cwd=tmp_path)
    assert code == 0, err
    assert out.splitlines() == [
        "follower modelPackageVersion: follows the newest Approved version of fraud-models "
        "(now 3); nothing to pin", "nothing newer to promote in stage"]
    code, out, err = cli("promote", "--list-newer", "--env", "dev", cwd=tmp_path)
    assert out.splitlines()[0] == ("scorer modelPackageVersion: fraud-models version 1 -> 3 "
                                   "(Approved) in dev: sagectl promote scorer --env dev "
                                   "--latest-approved")


def test_list_newer_usage_errors(cli: Cli, registry: object, tmp_path: Path) -> None:
    tree(tmp_path, {"dev": 1})
    code, _, err = cli("promote", "scorer", "specs", "--list-newer", "--env", "dev",
                       cwd=tmp_path)
    assert code == 2 and "takes a spec directory, not a name" in err
    code, _, err = cli("promote", "--latest-approved", "--env", "dev", cwd=tmp_path)
    assert code == 2 and "needs the name of a Model or an Endpoint" in err
