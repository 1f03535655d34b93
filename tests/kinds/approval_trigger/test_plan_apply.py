"""Planning and applying an ApprovalTrigger against the emulator: the four parts in order, the
second plan empty, the rule matching only approvals of the environment's groups, every step
undone when a later one fails, token rotation, and pruning in EventBridge's order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.plan.render import text
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.kinds.approval_trigger.helpers import (
    GROUP,
    ROLE,
    ROTATED,
    TOKEN,
    current_version,
    events,
    parts,
    pattern,
    secret,
    sent_api_key,
    tree,
)
from tests.plan.helpers import one, plan, write

ADDRESS = "ApprovalTrigger.promote-on-approval"
NAME = "sagectl-promote-on-approval"
CREATE_ORDER = ["events:CreateConnection", "events:CreateApiDestination", "events:PutRule",
                "events:PutTargets"]


def test_plan_for_an_empty_account_creates_the_four_parts_in_order(emu: Emulator,
                                                                     tmp_path: Path) -> None:
    arn = secret(emu)
    version = current_version(emu, arn)
    change = one(plan(emu, tree(tmp_path, arn)), ADDRESS)
    assert change.actions == ["create"] and change.action_reason == "new"
    assert [s.op for s in change.steps] == CREATE_ORDER
    assert [u.op for s in change.steps for u in s.undo] == [
        "events:DeleteConnection", "events:DeleteApiDestination", "events:DeleteRule",
        "events:RemoveTargets"]
    key = change.steps[0].params["AuthParameters"]["ApiKeyAuthParameters"]
    assert key == {"ApiKeyName": "Authorization",
                   "ApiKeyValue": f"(sensitive) Bearer <token of {arn}, version {version}>"}
    headers = change.steps[0].params["AuthParameters"]["InvocationHttpParameters"]
    assert headers["HeaderParameters"] == [
        {"Key": "Accept", "Value": "application/vnd.github+json", "IsValueSecret": False},
        {"Key": "X-GitHub-Api-Version", "Value": "2022-11-28", "IsValueSecret": False}]
    api = change.steps[1].params
    assert (api["HttpMethod"], api["InvocationEndpoint"]) == (
        "POST", "https://api.github.com/repos/acme/ml-platform/dispatches")
    assert change.steps[2].params["Tags"]  # the rule carries the ownership tags
    summary = "\n".join(change.consequences["summary"])
    assert arn in summary and version in summary and TOKEN not in summary


def test_apply_then_the_second_plan_has_no_changes(emu: Emulator, tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn)
    assert statuses(apply(emu, specs)) == {"ModelPackageGroup.fraud-models": "applied",
                                           ADDRESS: "applied"}
    live = parts(emu)
    assert live["connection"]["ConnectionState"] == "AUTHORIZED"
    assert live["connection"]["AuthorizationType"] == "API_KEY"
    assert sent_api_key(emu) == f"Bearer {TOKEN}"
    assert live["apiDestination"]["ConnectionArn"] == live["connection"]["ConnectionArn"]
    assert pattern(emu) == {"source": ["aws.sagemaker"],
                            "detail-type": ["SageMaker Model Package State Change"],
                            "detail": {"ModelPackageGroupName": ["fraud-models"],
                                       "ModelApprovalStatus": ["Approved"]}}
    (target,) = live["targets"]
    assert target["Arn"] == live["apiDestination"]["ApiDestinationArn"]
    assert target["RoleArn"] == ROLE
    template = target["InputTransformer"]["InputTemplate"]
    assert template.startswith('{"event_type": "sagectl-model-approved", "client_payload": {')
    assert target["InputTransformer"]["InputPathsMap"] == {
        "group": "$.detail.ModelPackageGroupName", "version": "$.detail.ModelPackageVersion",
        "modelPackageArn": "$.detail.ModelPackageArn", "account": "$.account",
        "region": "$.region"}
    again = plan(emu, specs)
    assert again.resource_changes == [] and text.render(again).rstrip().endswith("No changes.")
    assert statuses(apply(emu, specs)) == {}


def test_the_rule_matches_the_groups_the_spec_names_or_every_declared_one(
        emu: Emulator, tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn, groups=("fraud-models", "churn-models"))
    apply(emu, specs)
    assert pattern(emu)["detail"]["ModelPackageGroupName"] == ["churn-models", "fraud-models"]
    tree(tmp_path, arn, "  modelPackageGroups: [churn-models]\n",
         groups=("fraud-models", "churn-models"))
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason == "trigger_changed"
    assert [s.op for s in change.steps] == ["events:PutRule", "events:TagResource"]
    assert statuses(apply(emu, specs))[ADDRESS] == "applied"
    assert pattern(emu)["detail"]["ModelPackageGroupName"] == ["churn-models"]
    assert plan(emu, specs).resource_changes == []


@pytest.mark.parametrize("failing", CREATE_ORDER[1:])
def test_a_failed_step_undoes_every_step_before_it(emu: Emulator, tmp_path: Path,
                                                   failing: str) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn)
    apply(emu, write(tmp_path, {"registry/fraud-models.yaml": GROUP % "fraud-models"}))
    emu.inject("5xx", service="events", action=failing.split(":")[1], times=2)  # the client retries once
    run = apply(emu, tree(tmp_path, arn), max_attempts=1)
    (outcome,) = run.result.outcomes
    assert outcome.status == "rolled_back", outcome
    assert failing in outcome.reason
    assert parts(emu) == {"connection": None, "apiDestination": None, "rule": None,
                          "targets": None}
    assert TOKEN not in outcome.reason
    assert statuses(apply(emu, specs)) == {ADDRESS: "applied"}  # the next apply converges


def test_a_failed_first_step_leaves_nothing(emu: Emulator, tmp_path: Path) -> None:
    arn = secret(emu)
    emu.inject("5xx", service="events", action="CreateConnection", times=2)  # the client retries once
    run = apply(emu, tree(tmp_path, arn), max_attempts=1)
    assert statuses(run)[ADDRESS] == "failed"
    assert parts(emu)["connection"] is None


def test_a_rotated_token_is_planned_with_its_reason_and_applied(emu: Emulator,
                                                                tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn)
    apply(emu, specs)
    first = current_version(emu, arn)
    secret(emu, ROTATED)  # PutSecretValue: a new AWSCURRENT version
    second = current_version(emu, arn)
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason == "token_rotated"
    assert [s.op for s in change.steps] == ["events:UpdateConnection"]
    assert [(e.path, e.before, e.after) for e in change.diff] == [
        ("connection.tokenVersion", first, second)]
    (undo,) = change.steps[0].undo
    assert undo.op == "events:UpdateConnection" and first in undo.params["Description"]
    assert ROTATED not in json.dumps(change.steps[0].params) + " ".join(
        change.consequences["summary"])
    assert statuses(apply(emu, specs)) == {ADDRESS: "applied"}
    assert sent_api_key(emu) == f"Bearer {ROTATED}"
    assert second in parts(emu)["connection"]["Description"]
    assert plan(emu, specs).resource_changes == []


def test_a_failed_update_authorizes_the_connection_with_the_previous_token_again(
        emu: Emulator, tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn)
    apply(emu, specs)
    first = current_version(emu, arn)
    secret(emu, ROTATED)
    tree(tmp_path, arn, "  eventType: model-approved\n")
    change = one(plan(emu, specs), ADDRESS)
    assert [s.op for s in change.steps] == ["events:UpdateConnection", "events:TagResource",
                                            "events:PutTargets"]
    emu.inject("5xx", service="events", action="PutTargets", times=2)  # the client retries once
    run = apply(emu, specs, max_attempts=1)
    assert statuses(run) == {ADDRESS: "rolled_back"}
    assert sent_api_key(emu) == f"Bearer {TOKEN}"
    assert parts(emu)["connection"]["Description"].endswith(f"token version {first}")
    template = parts(emu)["targets"][0]["InputTransformer"]["InputTemplate"]
    assert '"sagectl-model-approved"' in template
    assert TOKEN not in run.result.outcomes[0].reason


def test_the_api_destination_and_the_rules_tags_change_in_place_and_are_restored(
        emu: Emulator, tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn, "  invocationRateLimitPerSecond: 5\n  tags: {team: ml}\n")
    apply(emu, specs)
    before = parts(emu)["apiDestination"]
    tree(tmp_path, arn, "  apiUrl: https://github.example.com/api/v3\n"
                        "  invocationRateLimitPerSecond: 10\n  tags: {owner: platform}\n")
    change = one(plan(emu, specs), ADDRESS)
    assert change.action_reason == "trigger_changed"
    assert [s.op for s in change.steps] == ["events:UpdateApiDestination", "events:TagResource",
                                            "events:UntagResource"]
    emu.inject("5xx", service="events", action="UntagResource", times=2)
    assert statuses(apply(emu, specs, max_attempts=1)) == {ADDRESS: "rolled_back"}
    restored = parts(emu)["apiDestination"]
    assert (restored["InvocationEndpoint"], restored["InvocationRateLimitPerSecond"]) == (
        before["InvocationEndpoint"], 5)
    rule_arn = parts(emu)["rule"]["Arn"]
    tags = {t["Key"]: t["Value"] for t in events(emu).list_tags_for_resource(
        ResourceARN=rule_arn)["Tags"]}
    assert tags["team"] == "ml" and "owner" not in tags
    assert statuses(apply(emu, specs)) == {ADDRESS: "applied"}
    updated = parts(emu)["apiDestination"]
    assert updated["InvocationEndpoint"] == (
        "https://github.example.com/api/v3/repos/acme/ml-platform/dispatches")
    assert updated["InvocationRateLimitPerSecond"] == 10
    tags = {t["Key"]: t["Value"] for t in events(emu).list_tags_for_resource(
        ResourceARN=rule_arn)["Tags"]}
    assert tags["owner"] == "platform" and "team" not in tags
    assert tags["sagectl:address"] == ADDRESS
    assert plan(emu, specs).resource_changes == []


def test_pruning_deletes_target_rule_api_destination_then_connection(emu: Emulator,
                                                                     tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn)
    apply(emu, specs)
    write(tmp_path, {"registry/fraud-models.yaml": GROUP % "fraud-models"})
    kept = plan(emu, specs)
    assert kept.resource_changes == []
    assert [p.severity for p in kept.problems if p.address == ADDRESS] == ["warning"]
    change = one(plan(emu, specs, prune=True), ADDRESS)
    assert change.actions == ["delete"] and change.action_reason == "not_in_spec"
    assert [s.op for s in change.steps] == [
        "events:RemoveTargets", "events:DeleteRule", "events:DeleteApiDestination",
        "events:DeleteConnection"]
    assert [bool(s.undo) for s in change.steps] == [True, True, False, False]
    assert statuses(apply(emu, specs, prune=True)) == {ADDRESS: "applied"}
    assert parts(emu) == {"connection": None, "apiDestination": None, "rule": None,
                          "targets": None}
    assert plan(emu, specs, prune=True).resource_changes == []


def test_a_deletion_that_cannot_delete_the_connection_puts_the_rule_back(
        emu: Emulator, tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn)
    apply(emu, specs)
    write(tmp_path, {"registry/fraud-models.yaml": GROUP % "fraud-models"})
    emu.inject("5xx", service="events", action="DeleteConnection", times=2)  # the client retries once
    run = apply(emu, specs, prune=True, max_attempts=1)
    assert statuses(run) == {ADDRESS: "rolled_back"}
    live = parts(emu)
    assert live["rule"] is not None and live["apiDestination"] is None
    # the rule is back with its tags: the next plan finds what is left and finishes
    change = one(plan(emu, specs, prune=True), ADDRESS)
    assert [s.op for s in change.steps] == ["events:RemoveTargets", "events:DeleteRule",
                                            "events:DeleteConnection"]
    assert statuses(apply(emu, specs, prune=True)) == {ADDRESS: "applied"}
    assert parts(emu)["connection"] is None


def test_parts_someone_else_made_are_a_conflict_never_changed(emu: Emulator,
                                                              tmp_path: Path) -> None:
    arn = secret(emu)
    events(emu).put_rule(Name=NAME, ScheduleExpression="rate(1 hour)", Description="by hand")
    result = plan(emu, tree(tmp_path, arn))
    assert ADDRESS not in {c.address for c in result.resource_changes}
    (problem,) = [p for p in result.problems if p.address == ADDRESS]
    assert problem.message == f"EventBridge rule {NAME} exists and is not managed by sagectl"


def test_a_missing_secret_is_a_located_plan_error(emu: Emulator, tmp_path: Path) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:nope-AbCdEf"
    result = plan(emu, tree(tmp_path, arn))
    (problem,) = [p for p in result.problems if p.address == ADDRESS]
    assert problem.severity == "error"
    assert problem.message.split("/specs/", 1)[1].startswith(
        f"trigger.yaml:6:19: tokenSecretArn: the secret {arn} does not exist")
