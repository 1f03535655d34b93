"""`sagectl iam-policy` for approval triggers: the EventBridge and Secrets Manager statements,
scoped to the specs' secret and role; the plan role never reads the token; and the policies of
the role EventBridge invokes the API destination as (`--service-roles`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.kinds.approval_trigger.helpers import ROLE, tree

Cli = Callable[..., tuple[int, str, str]]
SECRET = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:github-dispatch-AbCdEf"


def statements(cli: Cli, *args: str) -> dict[str, dict[str, Any]]:
    code, out, err = cli("iam-policy", *args)
    assert code == 0, err
    return {s["Sid"]: s for s in json.loads(out)["Statement"]}


def test_the_policy_scopes_the_trigger_to_its_names_secret_and_role(cli: Cli,
                                                                     tmp_path: Path) -> None:
    specs = str(tree(tmp_path, SECRET))
    apply = statements(cli, specs, "--env", "dev", "--mode", "apply")
    assert apply["ApprovalTriggerTokenSecrets"]["Resource"] == SECRET
    assert apply["ApprovalTriggerTokenSecrets"]["Action"] == [
        "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    assert apply["PassRoleToEventBridge"]["Resource"] == ROLE
    assert apply["PassRoleToEventBridge"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "events.amazonaws.com"}}
    assert apply["EventBridgeConnections"]["Resource"] == (
        "arn:aws:events:eu-west-1:111111111111:connection/sagectl-*")
    assert apply["EventBridgeApiDestinations"]["Resource"] == (
        "arn:aws:events:eu-west-1:111111111111:api-destination/sagectl-*")
    assert "events:TagResource" in apply["EventBridgeRules"]["Action"]
    assert apply["EventBridgeConnectionSecrets"]["Resource"] == (
        "arn:aws:secretsmanager:eu-west-1:111111111111:secret:events!connection/sagectl-*")
    plan = statements(cli, specs, "--env", "dev")
    assert plan["ApprovalTriggerTokenSecrets"]["Action"] == ["secretsmanager:DescribeSecret"]
    assert "EventBridgeConnectionSecrets" not in plan
    assert "secretsmanager:GetSecretValue" not in json.dumps(plan)


def test_without_specs_the_secret_is_any_secret_of_the_account(cli: Cli) -> None:
    apply = statements(cli, "--mode", "apply")
    assert apply["ApprovalTriggerTokenSecrets"]["Resource"] == "arn:aws:secretsmanager:*:*:secret:*"


def test_the_role_eventbridge_invokes_the_api_destination_as(cli: Cli, tmp_path: Path) -> None:
    specs = str(tree(tmp_path, SECRET))
    code, out, err = cli("iam-policy", specs, "--env", "dev", "--service-roles")
    assert code == 0, err
    (role,) = json.loads(out)["roles"]
    assert role["roleArn"] == ROLE
    assert role["usedBy"] == ["ApprovalTrigger.promote-on-approval"]
    assert role["trustPolicy"]["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sts:AssumeRole"}]
    (statement,) = role["policy"]["Statement"]
    assert statement["Action"] == "events:InvokeApiDestination"
    destination = "arn:aws:events:eu-west-1:111111111111:api-destination/sagectl-promote-on-approval"
    assert statement["Resource"] == [destination, f"{destination}/*"]


def test_service_roles_need_the_specs(cli: Cli) -> None:
    code, out, err = cli("iam-policy", "--service-roles")
    assert code == 1 and out == ""
    assert err.strip() == ("sagectl: --service-roles reads the roles from the specs: give PATH "
                           "(and --env ENV)")
