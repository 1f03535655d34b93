"""An environment's ``assumeRoleArn``: sagectl assumes the role from the caller's credentials and
plans, applies and imports in the role's account, with the account check on the assumed
identity, a clear refusal when the trust policy says no, a session name carrying the commit, and
credentials renewed before they expire (against a served emulator that holds several
accounts)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.assume import RoleRequest, assume, session_name
from reconciler.aws import AwsConfigError
from sagemaker_emulator import Emulator

Cli = Callable[..., tuple[int, str, str]]
CALLER = "123456789012"  # the emulator's default identity (moto's default account)
WORKLOAD = "222222222222"
ROLE = f"arn:aws:iam::{WORKLOAD}:role/sagectl-deployer"
COMMIT = "0123456789abcdef0123456789abcdef01234567"

GROUP = """\
apiVersion: sagectl/v1
kind: ModelPackageGroup
metadata: {name: fraud-models}
spec:
  modelPackageGroupDescription: Fraud models.
"""


def environment(extra: str = "", account: str = WORKLOAD, role: str = ROLE) -> str:
    return f"""\
apiVersion: sagectl/v1
kind: Environment
metadata: {{name: prod}}
spec:
  region: eu-west-1
  accountId: "{account}"
  assumeRoleArn: {role}
{extra}"""


def client(url: str, service: str, account: str) -> Any:
    """A client of the served emulator acting as ``account`` (moto's account header)."""
    made = boto3.client(service, region_name="eu-west-1", endpoint_url=url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    made.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", account))
    return made


def trust(principal: str = f"arn:aws:iam::{CALLER}:root", external_id: str | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal},
                                 "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(url: str, document: str, name: str = "sagectl-deployer",
              account: str = WORKLOAD) -> None:
    client(url, "iam", account).create_role(RoleName=name, AssumeRolePolicyDocument=document)


@pytest.fixture
def remote(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    Emulator().reset()
    monkeypatch.setenv("SAGECTL_EMULATOR_URL", server)
    monkeypatch.setenv("SAGECTL_GIT_COMMIT", COMMIT)
    yield server
    Emulator().reset()


def groups_in(url: str, account: str) -> list[str]:
    listed = client(url, "sagemaker", account).list_model_package_groups()
    return [g["ModelPackageGroupName"] for g in listed["ModelPackageGroupSummaryList"]]


def test_plan_and_apply_through_an_assumed_role_land_in_the_roles_account(
        cli: Cli, remote: str, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    make_role(remote, trust())
    specs = spec_tree({"environments/prod.yaml": environment(), "registry/group.yaml": GROUP})
    code, out, err = cli("plan", str(specs), "--env", "prod")
    assert code == 0, err
    assert "fraud-models" in out
    code, out, err = cli("apply", str(specs), "--env", "prod", "--auto-approve")
    assert code == 0, err
    assert groups_in(remote, WORKLOAD) == ["fraud-models"]
    assert groups_in(remote, CALLER) == []  # the caller's own account is untouched
    code, out, err = cli("plan", str(specs), "--env", "prod", "--detailed-exitcode")
    assert code == 0, out + err  # converged, read through the role again
    sessions = _assumed_sessions(remote)
    assert sessions and all(s == f"sagectl-prod-{COMMIT[:12]}" for s in sessions)


def _assumed_sessions(url: str) -> list[str]:
    """The session names of the roles assumed in the workload account (moto's STS state)."""
    from moto.sts.models import sts_backends

    return [r.session_name for r in sts_backends[WORKLOAD]["aws"].assumed_roles]


def test_an_external_id_is_sent_and_a_wrong_one_is_refused_clearly(
        cli: Cli, remote: str, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    make_role(remote, trust(external_id="fraud-platform-7"))
    good = spec_tree({"environments/prod.yaml": environment("  externalId: fraud-platform-7\n"),
                      "registry/group.yaml": GROUP})
    code, _, err = cli("plan", str(good), "--env", "prod")
    assert code == 0, err
    (good / "environments/prod.yaml").write_text(environment("  externalId: other-id\n"))
    code, out, err = cli("plan", str(good), "--env", "prod")
    assert code == 1
    assert "Traceback" not in out + err
    assert f"cannot assume role {ROLE} for environment 'prod'" in err
    assert "AccessDenied" in err and "trust policy allows" in err
    assert "sts:ExternalId condition asks for" in err


def test_a_role_that_does_not_trust_the_caller_is_a_clear_error(
        cli: Cli, remote: str, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    make_role(remote, trust(principal="arn:aws:iam::333333333333:root"))
    specs = spec_tree({"environments/prod.yaml": environment(), "registry/group.yaml": GROUP})
    for command in (("plan",), ("apply", "--auto-approve"), ("drift",)):
        code, out, err = cli(*command, str(specs), "--env", "prod")
        assert code == 1, command
        assert "Traceback" not in out + err
        assert f"cannot assume role {ROLE}" in err
        assert f"arn:aws:sts::{CALLER}:user/moto" in err  # who was refused
        assert "sets no externalId" in err
    assert groups_in(remote, WORKLOAD) == []


def test_the_account_check_applies_to_the_assumed_identity(remote: str) -> None:
    """A valid spec cannot name a role outside accountId (validation, below); the identity STS
    answers with is checked too, before anything is read."""
    make_role(remote, trust())
    base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name="eu-west-1")
    request = RoleRequest(ROLE, "sagectl-prod-test", env="prod", env_file="prod.yaml",
                          expected_account="444444444444")
    with pytest.raises(AwsConfigError) as raised:
        assume(base, request, region="eu-west-1", endpoint_url=remote)
    message = str(raised.value)
    assert "environment 'prod' is account 444444444444 (prod.yaml)" in message
    assert f"gave an identity in account {WORKLOAD}" in message


def test_credentials_are_renewed_before_they_expire(remote: str) -> None:
    """botocore's refreshable credentials, on the time we give them: with 20 minutes left an
    AssumeRole renews them (advisory window: 15 minutes... so not yet); with 9 minutes left
    (mandatory window) the next call renews them, once, and calls go on with the new keys in the
    role's account."""
    make_role(remote, trust())
    base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name="eu-west-1")
    offset = [timedelta(0)]

    def now() -> datetime:
        return datetime.now(UTC) + offset[0]

    assumed = assume(base, RoleRequest(ROLE, "sagectl-prod-refresh", expected_account=WORKLOAD),
                     region="eu-west-1", endpoint_url=remote, time_fetcher=now)
    sts = assumed.session.client("sts", endpoint_url=remote)
    first = assumed.credentials.get_frozen_credentials().access_key
    assert sts.get_caller_identity()["Account"] == WORKLOAD
    assert len(_assumed_sessions(remote)) == 1
    offset[0] = timedelta(minutes=40)  # 20 minutes left: no renewal yet
    sts.get_caller_identity()
    assert len(_assumed_sessions(remote)) == 1
    offset[0] = timedelta(minutes=51)  # 9 minutes left: renewed before the call is signed
    identity = sts.get_caller_identity()
    assert len(_assumed_sessions(remote)) == 2
    renewed = assumed.credentials.get_frozen_credentials().access_key
    assert renewed != first
    assert identity["Account"] == WORKLOAD
    assert identity["Arn"] == f"arn:aws:sts::{WORKLOAD}:assumed-role/sagectl-deployer/" \
                              "sagectl-prod-refresh"


@pytest.mark.parametrize(("env", "commit", "expected"), [
    ("prod", COMMIT, "sagectl-prod-0123456789ab"),
    ("prod eu", "unknown", "sagectl-prod-eu-nocommit"),
    ("x" * 80, COMMIT, f"sagectl-{'x' * 43}-0123456789ab"),
])
def test_session_names_carry_the_commit_within_stss_limits(env: str, commit: str,
                                                           expected: str) -> None:
    name = session_name(env, commit)
    assert name == expected
    assert 2 <= len(name) <= 64


@pytest.mark.parametrize(("line", "field", "expected"), [
    ("  assumeRoleArn: arn:aws:iam::222222222222:user/deployer\n", "assumeRoleArn", "matching"),
    ("  assumeRoleArn: arn:aws:iam::333333333333:role/deployer\n", "assumeRoleArn",
     "the role is in account 333333333333, but accountId is 222222222222"),
    ("  externalId: x\n", "externalId", "at least 2 characters"),
    ("  externalId: has space\n", "externalId", "matching"),
])
def test_bad_roles_and_external_ids_are_located(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path], line: str, field: str,
        expected: str) -> None:
    text = environment().replace(f"  assumeRoleArn: {ROLE}\n", "") + line
    if field == "externalId":
        text = environment() + line
    specs = spec_tree({"environments/prod.yaml": text, "registry/group.yaml": GROUP})
    code, out, err = cli("validate", str(specs), "--env", "prod")
    assert code == 1
    assert "Traceback" not in out + err
    row = text.splitlines().index(line.rstrip("\n")) + 1
    assert f"prod.yaml:{row}:" in out + err
    assert field in out + err and expected in out + err


def test_an_external_id_without_a_role_is_located(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    text = environment().replace(f"  assumeRoleArn: {ROLE}\n", "") + "  externalId: abc-123\n"
    specs = spec_tree({"environments/prod.yaml": text, "registry/group.yaml": GROUP})
    code, out, err = cli("validate", str(specs), "--env", "prod")
    assert code == 1
    assert "prod.yaml:7:" in out + err and "set assumeRoleArn or planRoleArn too" in out + err


# -- the policies around the role: `sagectl iam-policy --trust-policy` / `--caller` ------------

def test_the_trust_policy_lets_the_principal_assume_the_role_with_the_external_id(
        cli: Cli, remote: str, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    """What --trust-policy prints is a trust policy the (emulated) STS accepts, for the named
    principal only, and only with the external id."""
    specs = spec_tree({"environments/prod.yaml": environment("  externalId: fraud-platform-7\n"),
                       "registry/group.yaml": GROUP})
    code, out, err = cli("iam-policy", str(specs), "--env", "prod", "--trust-policy",
                         "--principal", CALLER)
    assert code == 0, err
    policy = json.loads(out)
    assert policy["Statement"] == [{
        "Sid": "SagectlCallerAssumes", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{CALLER}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "fraud-platform-7"}}}]
    make_role(remote, out)
    code, _, err = cli("plan", str(specs), "--env", "prod")
    assert code == 0, err
    code, out, _ = cli("iam-policy", str(specs), "--env", "prod", "--trust-policy",
                       "--principal", "arn:aws:iam::333333333333:role/sagectl-ci")
    client(remote, "iam", WORKLOAD).update_assume_role_policy(
        RoleName="sagectl-deployer", PolicyDocument=out)
    code, _, err = cli("plan", str(specs), "--env", "prod")
    assert code == 1 and "cannot assume role" in err  # the caller is not that principal


def test_the_caller_policy_names_every_environment_role(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    other = environment(role="arn:aws:iam::555555555555:role/sagectl", account="555555555555")
    specs = spec_tree({"environments/prod.yaml": environment(),
                       "environments/eu.yaml": other.replace("name: prod", "name: eu"),
                       "environments/dev.yaml": environment().replace("name: prod", "name: dev")
                       .replace(f"  assumeRoleArn: {ROLE}\n", ""),
                       "registry/group.yaml": GROUP})
    code, out, err = cli("iam-policy", str(specs), "--caller")
    assert code == 0, err
    assert json.loads(out)["Statement"] == [{
        "Sid": "SagectlAssumeEnvironmentRoles", "Effect": "Allow", "Action": "sts:AssumeRole",
        "Resource": [ROLE, "arn:aws:iam::555555555555:role/sagectl"]}]
    code, out, _ = cli("iam-policy", str(specs), "--caller", "--env", "prod")
    assert json.loads(out)["Statement"][0]["Resource"] == ROLE
    code, out, err = cli("iam-policy", str(specs), "--caller", "--env", "dev")
    assert code == 1 and "no environment names an assumeRoleArn or a planRoleArn (dev)" in err
    code, out, err = cli("iam-policy", str(specs), "--trust-policy", "--env", "dev",
                         "--principal", CALLER)
    assert code == 1 and "sets no assumeRoleArn" in err
    code, out, err = cli("iam-policy", str(specs), "--trust-policy", "--env", "prod",
                         "--principal", "ci-role")
    assert code == 1 and "expected an account id (12 digits) or an IAM principal ARN" in err
    code, out, err = cli("iam-policy", str(specs), "--trust-policy", "--principal", CALLER)
    assert code == 1 and "give --env ENV" in err


def test_the_coverage_check_wants_assume_role_in_the_caller_policy_only() -> None:
    from reconciler.iam import coverage_gaps
    from tests.iam_coverage import sagectl_policy

    observed = {("sts", "AssumeRole")}
    apply, plan = sagectl_policy("--mode", "apply"), sagectl_policy("--mode", "plan")
    gaps = coverage_gaps(observed, apply, plan)
    assert [str(g) for g in gaps] == ["sts:AssumeRole (for sts AssumeRole) is missing from the "
                                      "caller policy"]
    assert coverage_gaps(observed, apply, plan, caller_policy=sagectl_policy("--caller")) == []
    assert "sts:AssumeRole" not in json.dumps(apply)  # the role itself never needs it


def test_the_embedded_emulator_stands_for_the_environments_account(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    """``--emulator`` is a new empty account (no roles to assume): it acts as accountId."""
    specs = spec_tree({"environments/prod.yaml": environment(), "registry/group.yaml": GROUP})
    code, out, err = cli("plan", str(specs), "--env", "prod", "--emulator")
    assert code == 0, err
    assert "fraud-models" in out
