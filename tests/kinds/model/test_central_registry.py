"""A central registry: a Model in the workload account (111111111111) deploys the latest
Approved version of a model package group in the registry account (333333333333), named by ARN.

Both accounts live in one emulator; the registry's group policy decides whether the workload
may read it (AccessDeniedException otherwise). The plan pins the package ARN; a saved plan
checks the pin again in the registry account when it is applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.cli.registry import KINDS
from reconciler.plan.saved import plan_from_dict
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.plan.helpers import aws_for, one, plan, write

WORKLOAD, REGISTRY = "111111111111", "333333333333"
GROUP_ARN = f"arn:aws:sagemaker:eu-west-1:{REGISTRY}:model-package-group/fraud-models"
PIN = f"registry:{GROUP_ARN}:latestApproved"
IMAGE = f"{REGISTRY}.dkr.ecr.eu-west-1.amazonaws.com/scorer"
MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: scorer}}
spec:
  executionRoleArn: arn:aws:iam::{WORKLOAD}:role/inference
  primaryContainer:
    modelPackageGroupArn: {GROUP_ARN}
"""
READS = ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages",
         "sagemaker:DescribeModelPackageGroup"]


def grant(accounts: list[str], actions: list[str] = READS) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "WorkloadsRead", "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
        "Action": actions,
        "Resource": [GROUP_ARN, GROUP_ARN.replace("-group/", "/") + "/*"]}]}


def registry(emu: Emulator) -> Any:
    return aws_for(emu, REGISTRY).client("sagemaker")


def setup_group(emu: Emulator, policy: dict[str, Any] | None) -> None:
    registry(emu).create_model_package_group(ModelPackageGroupName="fraud-models")
    if policy is not None:
        registry(emu).put_model_package_group_policy(ModelPackageGroupName="fraud-models",
                                                     ResourcePolicy=json.dumps(policy))


def register(emu: Emulator, status: str = "Approved", url: str | None = None) -> str:
    container: dict[str, Any] = {"Image": f"{IMAGE}:pkg"}
    if url:
        container["ModelDataUrl"] = url
    arn: str = registry(emu).create_model_package(
        ModelPackageGroupName="fraud-models", ModelApprovalStatus=status,
        InferenceSpecification={"Containers": [container], "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    emu.advance(60)
    return arn


def test_latest_approved_resolves_in_the_registry_account_and_is_pinned(
        emu: Emulator, tmp_path: Path) -> None:
    setup_group(emu, grant([WORKLOAD]))
    first = register(emu)
    register(emu, "PendingManualApproval")
    assert f":{REGISTRY}:model-package/fraud-models/1" in first
    specs = write(tmp_path, {"model.yaml": MODEL})
    p = plan(emu, specs)
    assert p.errors == [], p.errors
    assert p.pins == {PIN: first}
    change = one(p, "Model.scorer")
    assert change.steps[0].params["PrimaryContainer"]["ModelPackageName"] == first
    assert f"{GROUP_ARN}: latest Approved is version 1 ({first})" in \
        change.consequences["summary"]


def test_a_saved_plan_deploys_the_reviewed_version_and_rechecks_it(emu: Emulator,
                                                                   tmp_path: Path) -> None:
    setup_group(emu, grant([WORKLOAD]))
    first = register(emu)
    specs = write(tmp_path, {"model.yaml": MODEL})
    data = json.loads(plan(emu, specs).to_json())
    assert data["pins"] == {PIN: first}
    second = register(emu)  # approved after the review: not what was reviewed
    assert plan(emu, specs).pins == {PIN: second}  # a fresh plan would take it
    registry(emu).update_model_package(ModelPackageArn=first, ModelApprovalStatus="Rejected")
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.result is None
    assert [(m.address, m.why) for m in run.moved] == [
        (f"pin {PIN}", f"model package {first} is Rejected, not Approved")]
    registry(emu).update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved")
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.moved == [] and statuses(run) == {"Model.scorer": "applied"}
    workload = aws_for(emu, WORKLOAD).client("sagemaker")
    (model,) = workload.list_models()["Models"]
    described = workload.describe_model(ModelName=model["ModelName"])
    assert described["PrimaryContainer"]["ModelPackageName"] == first


def test_a_pin_in_another_account_than_the_groups_is_refused(emu: Emulator,
                                                             tmp_path: Path) -> None:
    setup_group(emu, grant([WORKLOAD]))
    first = register(emu)
    specs = write(tmp_path, {"model.yaml": MODEL})
    data = json.loads(plan(emu, specs).to_json())
    data["pins"][PIN] = first.replace(REGISTRY, WORKLOAD)
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.result is None
    assert (f"pin {PIN}", f"{first.replace(REGISTRY, WORKLOAD)} is in account {WORKLOAD}, not "
                          f"the group's {REGISTRY}") in [(m.address, m.why) for m in run.moved]


def test_without_a_policy_that_grants_the_account_reading_is_refused(emu: Emulator,
                                                                     tmp_path: Path) -> None:
    setup_group(emu, grant(["444444444444"]))
    register(emu)
    specs = write(tmp_path, {"model.yaml": MODEL})
    p = plan(emu, specs)
    (error,) = p.errors
    assert error.address == "Model.scorer"
    assert error.message.startswith(f"account {WORKLOAD} may not read model package group "
                                    f"{GROUP_ARN} (account {REGISTRY}): User: ")
    assert "because no resource-based policy allows the sagemaker:ListModelPackages" in \
        error.message
    assert p.resource_changes == []


def test_the_emulator_refuses_each_read_the_policy_does_not_allow(emu: Emulator) -> None:
    setup_group(emu, None)
    first = register(emu)
    workload = aws_for(emu, WORKLOAD).client("sagemaker")
    calls = {"ListModelPackages": lambda: workload.list_model_packages(
                 ModelPackageGroupName=GROUP_ARN),
             "DescribeModelPackage": lambda: workload.describe_model_package(
                 ModelPackageName=first),
             "DescribeModelPackageGroup": lambda: workload.describe_model_package_group(
                 ModelPackageGroupName=GROUP_ARN)}
    for action, call in calls.items():
        try:
            call()
        except workload.exceptions.ClientError as err:
            assert err.response["Error"]["Code"] == "AccessDeniedException", action
        else:
            raise AssertionError(f"{action} was allowed without a policy")
    registry(emu).put_model_package_group_policy(
        ModelPackageGroupName="fraud-models",
        ResourcePolicy=json.dumps(grant([WORKLOAD], ["sagemaker:ListModelPackages"])))
    listed = calls["ListModelPackages"]()["ModelPackageSummaryList"]
    assert [s["ModelPackageArn"] for s in listed] == [first]
    try:
        calls["DescribeModelPackage"]()
    except workload.exceptions.ClientError as err:
        assert err.response["Error"]["Code"] == "AccessDeniedException"
    else:
        raise AssertionError("DescribeModelPackage was allowed by a policy that lists only "
                             "ListModelPackages")


def test_artifacts_in_the_registry_account_are_a_warning(emu: Emulator, tmp_path: Path) -> None:
    setup_group(emu, grant([WORKLOAD]))
    register(emu, url="s3://registry-artifacts/fraud/model.tar.gz")
    specs = write(tmp_path, {"model.yaml": MODEL})
    p = plan(emu, specs)
    assert p.errors == []
    (warning,) = [w for w in p.problems if w.severity == "warning"]
    assert warning.address == "Model.scorer"
    assert "bucket(s) registry-artifacts (registered in account 333333333333)" in warning.message
    assert f"execution role arn:aws:iam::{WORKLOAD}:role/inference can read it only if" in \
        warning.message
    assert "sagectl cannot see bucket policies: this is a warning, not a finding" in \
        warning.message


def test_no_artifact_warning_for_a_package_without_artifacts(emu: Emulator,
                                                              tmp_path: Path) -> None:
    setup_group(emu, grant([WORKLOAD]))
    register(emu)
    p = plan(emu, write(tmp_path, {"model.yaml": MODEL}))
    assert p.problems == []


# -- the registry environment: does its group's policy grant the consumers? ----------------------

REGISTRY_ENV = f"""
apiVersion: sagectl/v1
kind: Environment
metadata: {{name: registry}}
spec:
  region: eu-west-1
  accountId: "{REGISTRY}"
  overrides:
    - {{kind: Model, name: scorer, omit: true}}
"""
DEV_ENV = f"""
apiVersion: sagectl/v1
kind: Environment
metadata: {{name: dev}}
spec:
  region: eu-west-1
  accountId: "{WORKLOAD}"
  overrides:
    - {{kind: ModelPackageGroup, name: fraud-models, omit: true}}
"""
OTHER_WORKLOAD = "555555555555"


def group_spec(policy: dict[str, Any] | None) -> str:
    policy_line = f"\n  resourcePolicy: {json.dumps(policy)}" if policy is not None else ""
    return ("apiVersion: sagectl/v1\nkind: ModelPackageGroup\nmetadata: {name: fraud-models}\n"
            f"spec:\n  modelPackageGroupDescription: central registry{policy_line}\n")


def estate(tmp_path: Path, policy: dict[str, Any] | None) -> Path:
    specs = write(tmp_path, {"model.yaml": MODEL, "group.yaml": group_spec(policy),
                             "environments/registry.yaml": REGISTRY_ENV,
                             "environments/prod.yaml": DEV_ENV.replace("dev", "prod").replace(
                                 WORKLOAD, OTHER_WORKLOAD)})
    (specs / "environments" / "dev.yaml").write_text(DEV_ENV.lstrip("\n"), encoding="utf-8")
    return specs


def registry_plan(emu: Emulator, specs: Path) -> Any:
    from reconciler.plan.context import PlanOptions
    from reconciler.plan.planner import make_plan
    from reconciler.spec.load import load_specs

    loaded = load_specs(specs, KINDS, "registry")
    assert loaded.ok, [d.text() for d in loaded.report.errors]
    aws = aws_for(emu, REGISTRY)
    try:
        return make_plan(loaded, aws, specs.parent, PlanOptions())
    finally:
        aws.close()


def test_consumer_accounts_the_policy_misses_are_named_at_the_policy(emu: Emulator,
                                                                      tmp_path: Path) -> None:
    specs = estate(tmp_path, grant([WORKLOAD]))
    p = registry_plan(emu, specs)
    assert p.errors == [], p.errors
    (warning,) = [w for w in p.problems if w.severity == "warning"]
    assert warning.address == "ModelPackageGroup.fraud-models"
    assert warning.message == (
        f"{specs / 'group.yaml'}:6:3: resourcePolicy does not grant account {OTHER_WORKLOAD} "
        "(environment(s) prod, which deploy from this group by ARN) "
        "sagemaker:DescribeModelPackage, sagemaker:ListModelPackages, "
        "sagemaker:DescribeModelPackageGroup; their plans are refused (AccessDeniedException) "
        "until it does")
    assert f'"AWS": "arn:aws:iam::{OTHER_WORKLOAD}:root"' in warning.hint


def test_a_policy_missing_one_action_names_it(emu: Emulator, tmp_path: Path) -> None:
    policy = grant([WORKLOAD, OTHER_WORKLOAD], READS[:2])
    p = registry_plan(emu, estate(tmp_path, policy))
    warnings = sorted(w.message for w in p.problems if w.severity == "warning")
    assert len(warnings) == 2, warnings
    assert all(w.endswith("by ARN) sagemaker:DescribeModelPackageGroup; their plans are "
                          "refused (AccessDeniedException) until it does") for w in warnings)


def test_no_policy_at_all_names_every_consumer(emu: Emulator, tmp_path: Path) -> None:
    p = registry_plan(emu, estate(tmp_path, None))
    warnings = [w.message for w in p.problems if w.severity == "warning"]
    assert [w.split("grant account ")[1][:12] for w in warnings] == [WORKLOAD, OTHER_WORKLOAD]
    assert all("resourcePolicy (none is set) does not grant" in w for w in warnings)


def test_a_policy_granting_every_consumer_warns_of_nothing(emu: Emulator,
                                                           tmp_path: Path) -> None:
    p = registry_plan(emu, estate(tmp_path, grant([WORKLOAD, OTHER_WORKLOAD])))
    assert p.problems == []


def test_the_granted_estate_plans_in_the_workload_account(emu: Emulator, tmp_path: Path) -> None:
    """What the registry environment applies is what the workload's plan can read."""
    specs = estate(tmp_path, grant([WORKLOAD, OTHER_WORKLOAD]))
    run_registry = registry_plan(emu, specs)
    from tests.plan.helpers import run_as_written

    aws = aws_for(emu, REGISTRY)
    try:
        run_as_written(emu, aws, run_registry)
    finally:
        aws.close()
    first = register(emu)
    assert plan(emu, specs).pins == {PIN: first}


# -- sagectl iam-policy and sagectl promote with a group named by ARN ----------------------------

def test_the_iam_policy_names_the_registry_versions_the_specs_deploy(tmp_path: Path) -> None:
    from reconciler.iam.policy import build_policy, policy_context

    specs = estate(tmp_path, None)
    policy = build_policy("plan", policy_context(KINDS, str(specs), "dev"))
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == "SageMakerCentralRegistry"]
    assert statement["Action"] == ["sagemaker:DescribeModelPackage"]
    assert statement["Resource"] == (f"arn:aws:sagemaker:eu-west-1:{REGISTRY}:model-package/"
                                     "fraud-models/*")
    registry_env = build_policy("plan", policy_context(KINDS, str(specs), "registry"))
    assert "SageMakerCentralRegistry" not in [s["Sid"] for s in registry_env["Statement"]]


def test_promote_pins_a_version_of_a_group_named_by_arn(cli: Any, server: str,
                                                        monkeypatch: Any,
                                                        tmp_path: Path) -> None:
    import boto3

    from sagemaker_emulator.server import RemoteEmulator

    remote = RemoteEmulator(server, "eu-west-1")
    remote.reset()
    monkeypatch.setenv("SAGECTL_EMULATOR_URL", server)
    client = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                           region_name="eu-west-1").client("sagemaker", endpoint_url=server)
    client.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", REGISTRY))
    client.create_model_package_group(ModelPackageGroupName="fraud-models")
    client.put_model_package_group_policy(ModelPackageGroupName="fraud-models",
                                          ResourcePolicy=json.dumps(grant([WORKLOAD])))
    for _ in range(2):
        client.create_model_package(
            ModelPackageGroupName="fraud-models", ModelApprovalStatus="Approved",
            InferenceSpecification={"Containers": [{"Image": f"{IMAGE}:pkg"}],
                                    "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]})
        remote.advance(60)
    specs = write(tmp_path, {"model.yaml": MODEL})
    code, out, err = cli("promote", "scorer", "--env", "dev", "--latest-approved",
                         cwd=tmp_path)
    assert code == 0, err
    assert out.endswith("scorer modelPackageVersion latestApproved -> 2 (added)\n"), out
    assert "    modelPackageVersion: 2\n" in (specs / "model.yaml").read_text()
    code, out, err = cli("promote", "scorer", "--env", "dev", "--version", "1", cwd=tmp_path)
    assert code == 0, err
    assert "    modelPackageVersion: 1\n" in (specs / "model.yaml").read_text()
    code, out, err = cli("promote", "scorer", "--env", "dev", "--version", "7", cwd=tmp_path)
    assert code == 1
    assert err.startswith("sagectl: model package group "
                          f"{GROUP_ARN} has no version 7 ({GROUP_ARN.replace('-group/', '/')}/7 "
                          "does not exist)"), err


def test_a_group_by_name_and_by_arn_are_alternatives(tmp_path: Path) -> None:
    from reconciler.spec.load import load_specs

    both = MODEL + "    modelPackageGroupName: fraud-models\n"
    loaded = load_specs(write(tmp_path, {"model.yaml": both}), KINDS, "dev")
    texts = [d.text() for d in loaded.report.errors]
    assert len(texts) == 1 and "model.yaml:7:" in texts[0], texts
    assert ("`modelPackageGroupName` and `modelPackageGroupArn` are alternatives; set only one"
            in texts[0]), texts
    bad = MODEL.replace("model-package-group/fraud-models", "model-package/fraud-models/1")
    loaded = load_specs(write(tmp_path, {"model.yaml": bad}), KINDS, "dev")
    (error,) = [d.text() for d in loaded.report.errors]
    assert "model.yaml:7:27" in error and "modelPackageGroupArn" in error, error
