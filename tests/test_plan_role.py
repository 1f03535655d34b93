"""An environment's ``planRoleArn``: the read-only commands (plan, drift, import, promote,
history) assume it, the commands that change AWS (apply, drift --heal, import --adopt, unlock)
assume ``assumeRoleArn``; nothing the plan role does is a write; ``iam-policy`` prints the trust
and caller policies of both roles. Against a served emulator whose STS evaluates trust policies,
with the roles in the workload account and the caller in the emulator's default account: a
command that assumed the wrong role would be refused, and moto's STS keeps which role each
session assumed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.assume import RoleRequest, assume
from reconciler.aws import AwsConfigError, add_call_observer
from reconciler.cli.registry import KINDS
from reconciler.iam import assemble, granted
from sagemaker_emulator import Emulator
from tests import test_assume_role
from tests.test_assume_role import CALLER, COMMIT, GROUP, client, make_role, trust

Cli = Callable[..., tuple[int, str, str]]
WORKLOAD, OTHER = "222222222222", "333333333333"
APPLY_ROLE = f"arn:aws:iam::{WORKLOAD}:role/sagectl-apply"
PLAN_ROLE = f"arn:aws:iam::{WORKLOAD}:role/sagectl-plan"
NOBODY = f"arn:aws:iam::{OTHER}:role/someone-else"
"""A principal that is not the caller: a trust policy naming only it refuses the caller."""
SESSION = f"sagectl-prod-{COMMIT[:12]}"
IMAGE = f"{WORKLOAD}.dkr.ecr.eu-west-1.amazonaws.com/scorer"


def environment(name: str = "prod", account: str = WORKLOAD, roles: str | None = None,
                extra: str = "") -> str:
    if roles is None:
        roles = (f"  assumeRoleArn: arn:aws:iam::{account}:role/sagectl-apply\n"
                 f"  planRoleArn: arn:aws:iam::{account}:role/sagectl-plan\n")
    return f"""\
apiVersion: sagectl/v1
kind: Environment
metadata: {{name: {name}}}
spec:
  region: eu-west-1
  accountId: "{account}"
  stage: 1
{roles}{extra}"""


remote = test_assume_role.remote  # the served emulator, reset, with the commit pinned

MODEL = f"""\
apiVersion: sagectl/v1
kind: Model
metadata: {{name: scorer}}
spec:
  executionRoleArn: arn:aws:iam::{WORKLOAD}:role/inference
  primaryContainer:
    modelPackageGroupName: fraud-models
    modelPackageVersion: 1
    environment: {{SCORE_THRESHOLD: "0.8"}}
"""


def set_trust(url: str, role: str, principal: str, account: str = WORKLOAD) -> None:
    """Create ``role`` (a name) trusting ``principal`` only, or replace its trust policy."""
    iam = client(url, "iam", account)
    try:
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=trust(principal))
    except iam.exceptions.NoSuchEntityException:
        make_role(url, trust(principal), name=role, account=account)


def assumed(url: str, account: str = WORKLOAD) -> list[tuple[str, str]]:
    """(role ARN, session name) of every role assumed in ``account`` (moto's STS state)."""
    from moto.sts.models import sts_backends

    return [(r.role_arn, r.session_name) for r in sts_backends[account]["aws"].assumed_roles]


def run(cli: Cli, url: str, *args: str) -> tuple[int, str, set[str]]:
    """``sagectl ARGS``: (exit code, stdout + stderr, the roles it assumed in the workload)."""
    before = len(assumed(url))
    code, out, err = cli(*args)
    new = assumed(url)[before:]
    assert all(session == SESSION for _, session in new), new
    assert "Traceback" not in out + err
    return code, out + err, {arn for arn, _ in new}


def build_estate(url: str) -> None:
    """In the workload account: sagectl's state table (made by hand, as a platform team would:
    history reads it before any apply), a registry group with two approved versions (the Model
    pins version 1) and an endpoint built by hand, ``legacy``, to import."""
    client(url, "dynamodb", WORKLOAD).create_table(
        TableName="sagectl-state", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}])
    sm = client(url, "sagemaker", WORKLOAD)
    sm.create_model_package_group(ModelPackageGroupName="fraud-models")
    for _ in range(2):
        sm.create_model_package(
            ModelPackageGroupName="fraud-models", ModelApprovalStatus="Approved",
            InferenceSpecification={"Containers": [{"Image": f"{IMAGE}:pkg"}],
                                    "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"]})
        Emulator().advance(60)
    sm.create_model(ModelName="legacy-model",
                    ExecutionRoleArn=f"arn:aws:iam::{WORKLOAD}:role/inference",
                    PrimaryContainer={"Image": f"{IMAGE}:7",
                                      "ModelDataUrl": "s3://models/legacy.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName="legacy-config", ProductionVariants=[
        {"VariantName": "primary", "ModelName": "legacy-model", "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1, "InitialVariantWeight": 1.0}])
    sm.create_endpoint(EndpointName="legacy", EndpointConfigName="legacy-config")
    Emulator().advance(100_000)


@pytest.fixture
def estate(remote: str, spec_tree: Callable[[dict[str, str]], Path]) -> Path:
    """Both roles trust the caller; the spec tree plans the Model ``scorer``."""
    set_trust(remote, "sagectl-apply", f"arn:aws:iam::{CALLER}:root")
    set_trust(remote, "sagectl-plan", f"arn:aws:iam::{CALLER}:root")
    build_estate(remote)
    return spec_tree({"environments/prod.yaml": environment(), "models/scorer.yaml": MODEL})


def models_in(url: str, account: str = WORKLOAD) -> list[str]:
    listed = client(url, "sagemaker", account).list_models()["Models"]
    return sorted(m["ModelName"] for m in listed)


READ_ONLY = [(("plan",), ()), (("drift",), ()), (("import", "legacy"), ()),
             (("promote",), ("--list-newer",)), (("promote", "scorer"), ("--latest-approved",)),
             (("history", "legacy"), ())]
"""The read-only commands: (the command and its names, its options)."""


def read_only(command: tuple[tuple[str, ...], tuple[str, ...]], specs: Path) -> list[str]:
    """The command line: names, the spec directory, ``--env prod``, options."""
    names, options = command
    return [*names, str(specs), "--env", "prod", *options]


def test_each_command_assumes_the_role_of_what_it_does(cli: Cli, remote: str,
                                                       estate: Path) -> None:
    """Both roles trust the caller: which one each command assumed is moto's STS record."""
    specs = str(estate)
    expected = [
        (("plan", specs), PLAN_ROLE),
        (("apply", specs, "--auto-approve"), APPLY_ROLE),
        (("drift", specs), PLAN_ROLE),
        (("drift", specs, "--heal"), APPLY_ROLE),
        (("import", "legacy", specs), PLAN_ROLE),
        (("import", "legacy", specs, "--adopt"), APPLY_ROLE),
        (("promote", "--list-newer", specs), PLAN_ROLE),
        (("promote", "scorer", specs, "--latest-approved"), PLAN_ROLE),
        (("history", "legacy", specs), PLAN_ROLE),
        (("unlock", "legacy", specs), APPLY_ROLE),
    ]
    for args, role in expected:
        code, output, roles = run(cli, remote, *args, "--env", "prod")
        assert code == 0, (args, output)
        assert roles == {role}, (args, roles)
    assert "scorer" in " ".join(models_in(remote))  # applied in the workload account
    assert models_in(remote, CALLER) == []
    assert "modelPackageVersion: 2" in (estate / "models/scorer.yaml").read_text()  # promoted
    assert (estate / "imported/legacy.yaml").is_file()


def test_a_plan_role_alone_serves_the_read_only_commands(cli: Cli, remote: str,
                                                         estate: Path) -> None:
    """The apply role does not trust the caller: every read-only command still works (it never
    asks for the apply role), and every command that changes AWS is refused, naming the apply
    role, with nothing changed."""
    set_trust(remote, "sagectl-apply", NOBODY)
    for command in READ_ONLY:
        code, output, roles = run(cli, remote, *read_only(command, estate))
        assert code == 0, (command, output)
        assert roles == {PLAN_ROLE}, command
    for command in (("apply", str(estate), "--auto-approve"), ("drift", str(estate), "--heal"),
                    ("import", "legacy", str(estate), "--adopt", "--force"),
                    ("unlock", "legacy", str(estate))):
        code, output, roles = run(cli, remote, *command, "--env", "prod")
        assert code == 1, (command, output)
        assert f"cannot assume role {APPLY_ROLE} for environment 'prod' (its assumeRoleArn)" \
            in output, command
        assert "--mode apply --principal" in output
        assert roles == set()
    assert models_in(remote) == ["legacy-model"]  # nothing was applied


def test_a_plan_role_that_refuses_is_named_and_applies_still_work(
        cli: Cli, remote: str, estate: Path) -> None:
    set_trust(remote, "sagectl-plan", NOBODY)
    code, output, roles = run(cli, remote, "plan", str(estate), "--env", "prod")
    assert code == 1
    assert (f"cannot assume role {PLAN_ROLE} for environment 'prod' (its planRoleArn, the role "
            "of the read-only commands): AWS refused AssumeRole") in output
    assert "iam-policy --trust-policy --env prod --mode plan --principal" in output
    assert roles == set()
    code, output, roles = run(cli, remote, "apply", str(estate), "--env", "prod",
                              "--auto-approve")
    assert code == 0, output
    assert roles == {APPLY_ROLE}


def test_invalid_specs_are_reported_before_a_plan_role_that_refuses(
        cli: Cli, remote: str, estate: Path) -> None:
    """plan opens AWS as soon as the environment file is read (reconciler/plan/early.py): the
    role's refusal is set aside until the specs are known to be valid, so the user hears about
    the specs, located, and nothing about AWS."""
    set_trust(remote, "sagectl-plan", NOBODY)
    model = estate / "models" / "scorer.yaml"
    model.write_text(model.read_text().replace("modelPackageVersion: 1",
                                               "modelPackageVersion: first"))
    code, output, roles = run(cli, remote, "plan", str(estate), "--env", "prod")
    assert code == 1
    assert "models/scorer.yaml:" in output and "modelPackageVersion" in output, output
    assert "the specs are invalid; nothing was planned" in output
    assert "assume" not in output and roles == set()


def test_nothing_the_plan_role_does_is_a_write(cli: Cli, remote: str, estate: Path) -> None:
    """Every AWS operation of the read-only commands is one ``iam-policy --mode plan`` grants
    (the policy of planRoleArn): after an apply, so that the state table, the digest key (the
    Model's environment is sensitive) and history exist and are read."""
    code, output, _ = run(cli, remote, "apply", str(estate), "--env", "prod", "--auto-approve")
    assert code == 0, output
    seen: set[tuple[str, str]] = set()
    remove = add_call_observer(lambda service, operation: seen.add((service, operation)))
    try:
        for command in READ_ONLY:
            code, output, roles = run(cli, remote, *read_only(command, estate))
            assert code == 0, (command, output)
            assert roles == {PLAN_ROLE}
    finally:
        remove()
    allowed = granted("plan", assemble(KINDS)) | {("sts", "AssumeRole"),
                                                 ("sts", "GetCallerIdentity")}
    assert ("dynamodb", "GetItem") in seen  # the digest key, read
    assert ("dynamodb", "Query") in seen  # history
    assert seen - allowed == set()


# -- without assumeRoleArn; validation ---------------------------------------------------------

def test_a_plan_role_without_an_apply_role_applies_with_the_callers_credentials(
        cli: Cli, remote: str, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    """The external id goes with the plan role's AssumeRole; the apply has no role to assume:
    in the emulator the caller's own credentials act as accountId."""
    make_role(remote, trust(f"arn:aws:iam::{CALLER}:root", external_id="fraud-platform-7"),
              name="sagectl-plan")
    specs = spec_tree({"environments/prod.yaml": environment(
        roles=f"  planRoleArn: {PLAN_ROLE}\n  externalId: fraud-platform-7\n"),
        "registry/group.yaml": GROUP})
    code, output, roles = run(cli, remote, "plan", str(specs), "--env", "prod")
    assert (code, roles) == (0, {PLAN_ROLE}), output
    code, output, roles = run(cli, remote, "apply", str(specs), "--env", "prod",
                              "--auto-approve")
    assert (code, roles) == (0, set()), output
    listed = client(remote, "sagemaker", WORKLOAD).list_model_package_groups()
    assert [g["ModelPackageGroupName"] for g in listed["ModelPackageGroupSummaryList"]] == \
        ["fraud-models"]


@pytest.mark.parametrize(("roles", "expected"), [
    (f"  planRoleArn: arn:aws:iam::{WORKLOAD}:user/reader\n", "matching"),
    (f"  planRoleArn: arn:aws:iam::{OTHER}:role/sagectl-plan\n",
     f"the role is in account {OTHER}, but accountId is {WORKLOAD}"),
])
def test_bad_plan_roles_are_located(cli: Cli, spec_tree: Callable[[dict[str, str]], Path],
                                    roles: str, expected: str) -> None:
    text = environment(roles=f"  assumeRoleArn: {APPLY_ROLE}\n" + roles)
    specs = spec_tree({"environments/prod.yaml": text, "registry/group.yaml": GROUP})
    code, out, err = cli("validate", str(specs), "--env", "prod")
    assert code == 1
    assert "Traceback" not in out + err
    row = text.splitlines().index(roles.rstrip("\n")) + 1
    assert f"prod.yaml:{row}:16: error: spec.planRoleArn: " in err, err
    assert expected in err


def test_the_two_roles_must_share_an_account_without_account_id(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    text = environment(roles=f"  assumeRoleArn: {APPLY_ROLE}\n"
                             f"  planRoleArn: arn:aws:iam::{OTHER}:role/sagectl-plan\n"
                       ).replace(f'  accountId: "{WORKLOAD}"\n', "")
    specs = spec_tree({"environments/prod.yaml": text, "registry/group.yaml": GROUP})
    code, _, err = cli("validate", str(specs), "--env", "prod")
    assert code == 1
    assert "prod.yaml:8:16: error: spec.planRoleArn: " in err, err
    assert (f"the role is in account {OTHER}, but assumeRoleArn is in account {WORKLOAD}: a plan "
            "made as one is applied as the other") in err


def test_a_plan_role_alone_and_its_external_id_are_valid(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    text = environment(roles=f"  planRoleArn: {PLAN_ROLE}\n  externalId: fraud-platform-7\n")
    specs = spec_tree({"environments/prod.yaml": text, "registry/group.yaml": GROUP})
    code, _, err = cli("validate", str(specs), "--env", "prod")
    assert code == 0, err


def test_the_account_check_names_the_plan_role(remote: str) -> None:
    set_trust(remote, "sagectl-plan", f"arn:aws:iam::{CALLER}:root")
    base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name="eu-west-1")
    request = RoleRequest(PLAN_ROLE, SESSION, env="prod", env_file="prod.yaml",
                          expected_account="444444444444", field="planRoleArn")
    with pytest.raises(AwsConfigError) as raised:
        assume(base, request, region="eu-west-1", endpoint_url=remote)
    assert (f"but its planRoleArn {PLAN_ROLE} gave an identity in account {WORKLOAD}"
            in str(raised.value))
    assert str(raised.value).endswith("fix accountId or planRoleArn")


# -- several environments: the children of `plan --env '*'` ------------------------------------

def test_plan_and_drift_of_several_environments_assume_each_plan_role(
        cli: Cli, remote: str, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    """Each environment runs in its own sagectl process: plan and drift children assume the
    plan roles (the apply roles trust nobody here), apply children the apply roles."""
    for account in (WORKLOAD, OTHER):
        set_trust(remote, "sagectl-plan", f"arn:aws:iam::{CALLER}:root", account)
        set_trust(remote, "sagectl-apply", f"arn:aws:iam::{OTHER}:role/nobody", account)
    specs = spec_tree({"environments/prod.yaml": environment(),
                       "environments/dev.yaml": environment("dev", OTHER),
                       "registry/group.yaml": GROUP})
    for command in ("plan", "drift"):
        code, out, err = cli(command, str(specs), "--env", "*")
        assert code == 0, out + err
        assert "Traceback" not in out + err
    plan_roles = {(arn, session) for account in (WORKLOAD, OTHER)
                  for arn, session in assumed(remote, account)}
    assert plan_roles == {(PLAN_ROLE, SESSION),
                          (f"arn:aws:iam::{OTHER}:role/sagectl-plan", f"sagectl-dev-{COMMIT[:12]}")}
    code, out, err = cli("apply", str(specs), "--env", "*", "--auto-approve")
    assert code == 1
    assert f"cannot assume role {APPLY_ROLE} for environment 'prod' (its assumeRoleArn)" \
        in out + err


# -- iam-policy: the trust policy and the caller policy of both roles ---------------------------

def test_the_trust_policy_says_which_roles_it_is_for_and_mode_chooses_one(
        cli: Cli, remote: str, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    """Without --mode: one document for both roles (stderr names them); --mode plan/apply: the
    trust policy of that role, so each can trust another principal. Attached to the emulator's
    roles, they let the caller plan and not apply."""
    specs = spec_tree({"environments/prod.yaml": environment(), "registry/group.yaml": GROUP})
    code, out, err = cli("iam-policy", str(specs), "--env", "prod", "--trust-policy",
                         "--principal", CALLER)
    assert code == 0, err
    assert json.loads(out)["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{CALLER}:root"}
    assert err == ("sagectl: this trust policy is for both roles of environment 'prod': "
                   f"planRoleArn {PLAN_ROLE} (the role of plan, drift, import, promote, history) "
                   f"and assumeRoleArn {APPLY_ROLE} (the role of apply, drift --heal, import "
                   "--adopt, unlock). To let other principals assume each (the pull-request CI "
                   "role the plan role only), print them apart: --mode plan, --mode apply\n")
    code, plan_trust, err = cli("iam-policy", str(specs), "--env", "prod", "--trust-policy",
                                "--mode", "plan", "--principal", CALLER)
    assert code == 0 and f"planRoleArn {PLAN_ROLE}" in err and "assumeRoleArn" not in err
    code, apply_trust, err = cli("iam-policy", str(specs), "--env", "prod", "--trust-policy",
                                 "--mode", "apply", "--principal", NOBODY)
    assert code == 0 and f"assumeRoleArn {APPLY_ROLE}" in err and "planRoleArn" not in err
    assert json.loads(apply_trust)["Statement"][0]["Principal"] == {"AWS": NOBODY}
    make_role(remote, plan_trust, name="sagectl-plan")
    make_role(remote, apply_trust, name="sagectl-apply")
    assert cli("plan", str(specs), "--env", "prod")[0] == 0
    code, _, err = cli("apply", str(specs), "--env", "prod", "--auto-approve")
    assert code == 1 and f"cannot assume role {APPLY_ROLE}" in err


def test_the_trust_policy_of_a_role_the_environment_does_not_name_is_an_error(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    specs = spec_tree({"environments/prod.yaml": environment(roles=f"  planRoleArn: {PLAN_ROLE}\n"),
                       "environments/dev.yaml": environment("dev", roles=f"  assumeRoleArn: "
                                                                         f"{APPLY_ROLE}\n"),
                       "registry/group.yaml": GROUP})
    code, _, err = cli("iam-policy", str(specs), "--env", "prod", "--trust-policy",
                       "--mode", "apply", "--principal", CALLER)
    assert code == 1
    assert "sets no assumeRoleArn: apply, drift --heal, import --adopt, unlock use the " \
           "caller's own credentials there" in err
    code, _, err = cli("iam-policy", str(specs), "--env", "dev", "--trust-policy",
                       "--mode", "plan", "--principal", CALLER)
    assert code == 0  # without planRoleArn, the read-only commands assume assumeRoleArn
    assert err == (f"sagectl: this trust policy is for assumeRoleArn {APPLY_ROLE} of "
                   "environment 'dev' (the role of every command)\n")


def test_the_caller_policy_names_both_roles_or_those_of_a_mode(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    other_apply = f"arn:aws:iam::{OTHER}:role/sagectl-apply"
    specs = spec_tree({"environments/prod.yaml": environment(),
                       "environments/dev.yaml": environment(
                           "dev", OTHER, roles=f"  assumeRoleArn: {other_apply}\n"),
                       "registry/group.yaml": GROUP})

    def resources(*mode: str) -> Any:
        code, out, err = cli("iam-policy", str(specs), "--caller", *mode)
        assert code == 0, err
        statement = json.loads(out)["Statement"]
        assert [(s["Action"], s["Effect"]) for s in statement] == [("sts:AssumeRole", "Allow")]
        return statement[0]["Resource"]

    assert resources() == [APPLY_ROLE, PLAN_ROLE, other_apply]
    assert resources("--mode", "plan") == [PLAN_ROLE, other_apply]  # dev plans as its one role
    assert resources("--mode", "apply") == [APPLY_ROLE, other_apply]
    code, out, err = cli("iam-policy", str(specs), "--caller", "--env", "prod", "--mode", "plan")
    assert code == 0, err
    assert json.loads(out)["Statement"][0]["Resource"] == PLAN_ROLE


def test_iam_policy_mode_is_still_the_permission_policy(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path]) -> None:
    """--mode plan (the default) is planRoleArn's read-only policy, --mode apply assumeRoleArn's:
    neither grants sts:AssumeRole (the caller's policy does)."""
    specs = spec_tree({"environments/prod.yaml": environment(), "registry/group.yaml": GROUP})
    default = cli("iam-policy", str(specs), "--env", "prod")
    plan = cli("iam-policy", str(specs), "--env", "prod", "--mode", "plan")
    apply = cli("iam-policy", str(specs), "--env", "prod", "--mode", "apply")
    assert default == plan and plan[0] == apply[0] == 0
    assert "sagemaker:CreateModelPackageGroup" in apply[1]
    assert "sagemaker:CreateModelPackageGroup" not in plan[1]
    assert "sts:AssumeRole" not in plan[1] + apply[1]
