"""`sagectl validate` on approval triggers: every mistake at its file:line:column, exit 1, no
traceback, nothing read from AWS; a token written where the secret's ARN goes is never repeated."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.kinds.approval_trigger.helpers import TOKEN, tree
from tests.kinds.endpoint.test_plan_changes import ALARM

Cli = Callable[..., tuple[int, str, str]]
SECRET = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:github-dispatch-AbCdEf"


def errors(cli: Cli, specs: Path) -> tuple[int, list[str]]:
    code, out, err = cli("validate", str(specs))
    assert "Traceback" not in out + err
    lines = [line.split("/specs/", 1)[1] for line in (out + err).splitlines() if "/specs/" in line]
    return code, lines


@pytest.mark.parametrize(("extra", "expected"), [
    ("  modelPackageGroups: [fraud-model]\n",
     "trigger.yaml:8:24: error: spec.modelPackageGroups[0]: environment 'dev' declares no "
     "ModelPackageGroup 'fraud-model' (did you mean 'fraud-models'?); declared: fraud-models"),
    ("  modelPackageGroups: [fraud-models, fraud-models]\n",
     "trigger.yaml:8:38: error: spec.modelPackageGroups[1]: group 'fraud-models' is listed twice"),
    ("  eventType: " + "e" * 101 + "\n",
     "trigger.yaml:8:14: error: spec.eventType: must be at most 100 characters, got 101"),
    ("  eventType: <group>\n",
     "trigger.yaml:8:14: error: spec.eventType: expected 1-100 letters, digits and . _ : - "
     "(starting with a letter or digit), got the string '<group>'"),
    ("  apiUrl: http://github.example.com/api/v3\n",
     "trigger.yaml:8:11: error: spec.apiUrl: expected an https:// URL of GitHub's REST API "
     "(https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server), got the "
     "string 'http://github.example.com/api/v3'"),
    ("  invocationRateLimitPerSecond: 0\n",
     "trigger.yaml:8:33: error: spec.invocationRateLimitPerSecond: must be at least 1, got 0"),
])
def test_each_mistake_is_located(cli: Cli, tmp_path: Path, extra: str, expected: str) -> None:
    code, lines = errors(cli, tree(tmp_path, SECRET, extra))
    assert code == 1
    assert expected in lines, lines


def test_the_repository_must_be_owner_and_name(cli: Cli, tmp_path: Path) -> None:
    specs = tree(tmp_path, SECRET)
    text = (specs / "trigger.yaml").read_text().replace("acme/ml-platform", "acme")
    (specs / "trigger.yaml").write_text(text)
    code, lines = errors(cli, specs)
    assert code == 1 and lines == [
        "trigger.yaml:5:15: error: spec.repository: expected a GitHub repository as owner/name "
        "(e.g. acme/ml-platform), got the string 'acme'"]


def test_a_token_where_the_secret_arn_goes_is_not_repeated(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("validate", str(tree(tmp_path, TOKEN)))
    assert code == 1
    assert TOKEN not in out + err
    assert ("trigger.yaml:6:19: error: spec.tokenSecretArn: expected a Secrets Manager secret ARN "
            "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf), got a string; the value "
            "is not shown (sensitive)") in out + err


def test_the_secret_must_be_in_the_environments_region(cli: Cli, tmp_path: Path) -> None:
    code, lines = errors(cli, tree(tmp_path, SECRET.replace("eu-west-1", "us-east-1")))
    assert code == 1 and lines == [
        "trigger.yaml:6:19: error: spec.tokenSecretArn: the secret is in region us-east-1, "
        "environment 'dev' in eu-west-1: a secret is read in its own region, and sagectl reads "
        "it with the environment's regional client"]


def test_a_secret_of_another_account_is_a_warning(cli: Cli, tmp_path: Path) -> None:
    code, lines = errors(cli, tree(tmp_path, SECRET.replace("111111111111", "333333333333")))
    assert code == 0
    (line,) = lines
    assert line.startswith("trigger.yaml:6:19: warning: spec.tokenSecretArn: the secret is in "
                           "account 333333333333, environment 'dev' is account 111111111111")
    assert "customer managed KMS key" in line


def test_an_environment_without_groups_cannot_have_a_trigger(cli: Cli, tmp_path: Path) -> None:
    code, lines = errors(cli, tree(tmp_path, SECRET, groups=()))
    assert code == 1
    (line,) = lines
    assert line.startswith("trigger.yaml:5:3: error: spec: environment 'dev' declares no "
                           "ModelPackageGroup: an ApprovalTrigger sends the approvals")
    assert "omit: true" in line


def test_a_workload_environment_leaves_the_trigger_out(cli: Cli, tmp_path: Path) -> None:
    """The trigger goes in the registry account's environment; the others omit it (and the
    groups), as the tree selects resources per environment."""
    specs = tree(tmp_path, SECRET)
    (specs / "alarm.yaml").write_text(ALARM)
    (specs / "environments" / "prod.yaml").write_text(
        "apiVersion: sagectl/v1\nkind: Environment\nmetadata: {name: prod}\nspec:\n"
        "  region: eu-west-1\n  accountId: \"222222222222\"\n  overrides:\n"
        "    - {kind: ApprovalTrigger, name: promote-on-approval, omit: true}\n"
        "    - {kind: ModelPackageGroup, name: fraud-models, omit: true}\n")
    code, lines = errors(cli, specs)
    assert code == 0 and lines == []
    (specs / "environments" / "prod.yaml").write_text(
        (specs / "environments" / "prod.yaml").read_text().replace(
            "    - {kind: ApprovalTrigger, name: promote-on-approval, omit: true}\n", ""))
    code, lines = errors(cli, specs)
    assert code == 1
    (error,) = [line for line in lines if ": error: " in line]
    assert error.startswith("trigger.yaml:5:3: error: spec: environment 'prod' declares no "
                            "ModelPackageGroup")
    assert error.endswith("`- {kind: ApprovalTrigger, name: promote-on-approval, omit: true}`) "
                          "[environment prod]")


def test_a_pipeline_of_the_same_name_is_refused(cli: Cli, tmp_path: Path) -> None:
    specs = tree(tmp_path, SECRET)
    (specs / "pipeline.yaml").write_text(
        "apiVersion: sagectl/v1\nkind: Pipeline\nmetadata: {name: promote-on-approval}\n"
        "spec:\n  roleArn: arn:aws:iam::111111111111:role/pipeline\n"
        "  pipelineDefinition: {Version: '2020-12-01', Steps: []}\n")
    code, lines = errors(cli, specs)
    assert code == 1
    assert ("trigger.yaml:3:18: error: metadata.name: a Pipeline is named 'promote-on-approval' "
            "too: a pipeline's schedule may be the EventBridge rule sagectl-promote-on-approval, "
            "this trigger's rule name; rename one of them") in lines
