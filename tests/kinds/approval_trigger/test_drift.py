"""Drift of an approval trigger: hand edits to the rule (pattern, state), a removed target and a
de-authorized connection are out_of_band and healed; a rotated token is out_of_band with the
reason said; a rule deleted by hand is missing; a spec change not applied yet is pending."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.drift.classify import DriftReport
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.drift.test_drift import heal, run_drift
from tests.kinds.approval_trigger.helpers import (
    ROTATED,
    TOKEN,
    events,
    parts,
    pattern,
    secret,
    sent_api_key,
    tree,
)

ADDRESS = "ApprovalTrigger.promote-on-approval"
NAME = "sagectl-promote-on-approval"


def item(report: DriftReport) -> Any:
    (found,) = [i for i in report.items if i.address == ADDRESS]
    return found


def deauthorize(emu: Emulator, name: str = NAME) -> None:
    """DeauthorizeConnection by hand (the connection ends DEAUTHORIZED without its parameters)."""
    events(emu).deauthorize_connection(Name=name)


def test_hand_edits_are_out_of_band_and_heal_puts_them_back(emu: Emulator,
                                                             tmp_path: Path) -> None:
    specs = tree(tmp_path, secret(emu))
    apply(emu, specs)
    assert run_drift(emu, specs).items == []
    ev = events(emu)
    rule = parts(emu)["rule"]
    edited = {**pattern(emu), "detail": {"ModelPackageGroupName": ["fraud-models"],
                                         "ModelApprovalStatus": ["Approved", "Rejected"]}}
    ev.put_rule(Name=NAME, EventPattern=json.dumps(edited), State="DISABLED",
                Description=rule["Description"])
    ev.remove_targets(Rule=NAME, Ids=["sagectl-github-dispatch"])
    found = item(run_drift(emu, specs))
    assert found.drift_class == "out_of_band" and found.actionable
    paths = sorted(d.path for d in found.diff)
    assert [p for p in paths if not p.startswith("target.")] == [
        "rule.eventPattern.detail.ModelApprovalStatus", "rule.state"]
    assert "target.roleArn" in paths  # the whole target is missing
    before, result, after = heal(emu, specs)
    assert item(before).drift_class == "out_of_band"
    assert [o.status for o in result.outcomes if o.address == ADDRESS] == ["applied"]
    assert after.items == []
    live = parts(emu)
    assert live["rule"]["State"] == "ENABLED" and len(live["targets"]) == 1
    assert pattern(emu)["detail"]["ModelApprovalStatus"] == ["Approved"]


def test_a_deauthorized_connection_is_out_of_band_and_authorized_again(emu: Emulator,
                                                                        tmp_path: Path) -> None:
    """The heal's UpdateConnection is checked by what it sends: the emulator (moto 5.2) keeps a
    de-authorized connection de-authorized through UpdateConnection, where EventBridge's guide
    says a de-authorized connection takes new authorization parameters by an edit."""
    specs = tree(tmp_path, secret(emu))
    apply(emu, specs)
    deauthorize(emu)
    report = run_drift(emu, specs)
    (change,) = [c for c in report.plan.resource_changes if c.address == ADDRESS]
    assert change.action_reason == "connection_deauthorized"
    assert [s.op for s in change.steps] == ["events:UpdateConnection"]
    assert change.steps[0].irreversible.startswith("not undone: the connection was de-authorized")
    found = item(report)
    assert found.drift_class == "out_of_band"
    assert ("connection.authorized", False, True) in [(d.path, d.before, d.after)
                                                     for d in found.diff]
    assert all(d.path.startswith("connection.") for d in found.diff)
    _, result, _ = heal(emu, specs)
    assert [o.status for o in result.outcomes] == ["applied"]
    assert sent_api_key(emu) == f"Bearer {TOKEN}"  # the token was sent again


def test_a_rotated_token_is_out_of_band_with_the_reason(emu: Emulator, tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn)
    apply(emu, specs)
    secret(emu, ROTATED)
    found = item(run_drift(emu, specs))
    assert found.drift_class == "out_of_band"
    assert "the token secret has a new current version (rotated)" in found.reason
    assert ROTATED not in json.dumps(found.as_dict())


def test_a_rule_deleted_by_hand_is_missing(emu: Emulator, tmp_path: Path) -> None:
    specs = tree(tmp_path, secret(emu))
    apply(emu, specs)
    events(emu).remove_targets(Rule=NAME, Ids=["sagectl-github-dispatch"])
    events(emu).delete_rule(Name=NAME)
    found = item(run_drift(emu, specs))
    assert found.drift_class == "missing"
    assert f"its EventBridge rule {NAME} is gone" in found.reason
    after = heal(emu, specs)[2]
    assert after.items == [] and parts(emu)["rule"] is not None


def test_a_spec_change_not_applied_is_pending(emu: Emulator, tmp_path: Path) -> None:
    arn = secret(emu)
    specs = tree(tmp_path, arn)
    apply(emu, specs)
    tree(tmp_path, arn, "  state: DISABLED\n")
    assert item(run_drift(emu, specs)).drift_class == "pending"
