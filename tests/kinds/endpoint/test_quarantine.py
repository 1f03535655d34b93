"""A quarantine outlives the state table (issue 13).

After a rollback the rolled-back spec digest is recorded in the state table and on the endpoint
(tag ``sagectl:quarantined-digest``). When the table is lost, the next automatic run (``drift
--heal``, ``ApplyOptions.automatic``) says so, reads the tag and does not deploy the quarantined
spec; where there is no tag either, the quarantine status is unknown, and automatic runs do not
deploy until a human applied once. ``--force`` deploys, and clears the tag.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.context import APPLIED, ROLLED_BACK, WAITING, Outcome
from reconciler.apply.stage import ApplyRun, apply_plan, prepare
from reconciler.cli.registry import KINDS
from reconciler.drift.run import drift_and_heal
from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.kinds.endpoint.quarantine import QUARANTINE_TAG
from reconciler.plan.context import PlanOptions
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context, statuses
from tests.apply.test_apply import ACCOUNT, BASE, ENDPOINT, REGION, describe, serving
from tests.kinds.endpoint.test_plan_changes import MODEL
from tests.plan.helpers import aws_for, one, plan, write

TABLE = "sagectl-state"
ALARM_NAME = "scorer-errors"
LOST = (f"the state table {TABLE} is missing but this environment has 1 managed endpoint: "
        "quarantine and journal records may be lost")
CHALLENGER = "variantName: challenger\n      modelName: scorer-model\n      instanceType: "
BIGGER = {"endpoint.yaml": ENDPOINT.replace(CHALLENGER + "ml.m5.large",
                                            CHALLENGER + "ml.m5.xlarge")}
"""A new config for the endpoint (its challenger on bigger instances), no new model."""
PLAIN = {**BASE, "model.yaml": MODEL.replace('    environment: {API_KEY: "s3cr3t-value"}\n', "")}
"""The base estate with a model without environment values: its digests are plain sha256, so
they stay the same when the state table (and the environment's digest key in it) is lost."""


@pytest.fixture
def estate(emu: Emulator, tmp_path: Path) -> Callable[..., Path]:
    """``PLAIN`` applied by sagectl; returns ``edit(files) -> specs``."""
    assert PLAIN["model.yaml"] != MODEL
    specs = write(tmp_path, PLAIN)
    assert set(statuses(apply(emu, specs)).values()) == {APPLIED}

    def edit(changes: dict[str, str] | None = None) -> Path:
        return write(tmp_path, {**PLAIN, **(changes or {})})

    return edit


def run(emu: Emulator, specs: Path, **options: Any) -> tuple[ApplyRun, list[str]]:
    """Apply as ``apply`` does; also the run's messages."""
    actx = context(emu, **options)
    try:
        loaded = load_specs(specs, KINDS, "dev")
        done = apply_plan(actx, prepare(actx, loaded, specs.parent, PlanOptions()))
    finally:
        actx.aws.close()
    return done, [str(e.get("message")) for e in actx.events.emitted]


def endpoint_outcome(done: ApplyRun) -> Outcome:
    assert done.result is not None
    return {o.address: o for o in done.result.outcomes}["Endpoint.scorer"]


def endpoint_tags(emu: Emulator) -> dict[str, str]:
    aws = aws_for(emu)
    try:
        tags = aws.client("sagemaker").list_tags(ResourceArn=describe(emu)["EndpointArn"])
        return {t["Key"]: t["Value"] for t in tags["Tags"]}
    finally:
        aws.close()


def lose_the_table(emu: Emulator) -> None:
    aws = aws_for(emu)
    try:
        aws.client("dynamodb").delete_table(TableName=TABLE)
    finally:
        aws.close()


def record(emu: Emulator) -> dict[str, Any] | None:
    actx = context(emu)
    try:
        return actx.state.quarantined("scorer")
    finally:
        actx.aws.close()


def rolled_back(emu: Emulator, specs: Path) -> str:
    """Apply ``specs``; the guardrail alarm fires during the bake (it goes to ALARM as the
    endpoint's tags are updated, just before the bake), so the deploy is rolled back. Returns
    the quarantined spec digest."""
    emu.before_call("sagemaker", "AddTags", lambda: emu.hold_alarm_state(
        ALARM_NAME, "ALARM", region=REGION, account=ACCOUNT))
    done = apply(emu, specs)
    outcome = endpoint_outcome(done)
    assert outcome.status == ROLLED_BACK and "ALARM during the bake" in outcome.reason, outcome
    emu.release_alarm_state(ALARM_NAME, region=REGION, account=ACCOUNT)
    emu.advance(120)  # the alarm follows its metric again: no errors, OK
    return EndpointApplyData.of(one(done.plan, "Endpoint.scorer")).spec_digest


def test_a_quarantine_survives_losing_the_state_table(emu: Emulator, estate: Any) -> None:
    old = serving(emu)["EndpointConfigName"]
    specs = estate(BIGGER)
    digest = rolled_back(emu, specs)
    assert endpoint_tags(emu)[QUARANTINE_TAG] == digest  # with the table record
    assert (record(emu) or {}).get("spec_digest") == digest
    change = one(plan(emu, specs), "Endpoint.scorer")  # the plan reads the tag, never drops it
    assert EndpointApplyData.of(change).quarantined_digest == digest
    assert not any(QUARANTINE_TAG in str(s.params) for s in change.steps)

    lose_the_table(emu)
    updates = emu.calls[("sagemaker", "UpdateEndpoint")]
    actx = context(emu)  # drift --heal: an automatic run
    try:
        before, _, _ = drift_and_heal(actx, load_specs(specs, KINDS, "dev"), specs.parent)
    finally:
        actx.aws.close()
    messages = [str(e.get("message")) for e in actx.events.emitted]
    assert any(m.startswith(LOST) for m in messages), messages
    assert {i.address: i.drift_class for i in before.items}["Endpoint.scorer"] == \
        "failed_deployment"
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == updates  # not redeployed
    serving(emu, old)
    assert (record(emu) or {}).get("spec_digest") == digest  # restored from the tag

    lose_the_table(emu)  # and once more, for apply itself
    automatic, messages = run(emu, specs, automatic=True)
    assert any(m.startswith(LOST) for m in messages), messages
    outcome = endpoint_outcome(automatic)
    assert outcome.status == WAITING and "quarantined" in outcome.reason, outcome
    outcome = endpoint_outcome(apply(emu, specs))  # by hand: only when forced
    assert outcome.status == WAITING and "--force" in outcome.reason, outcome
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == updates
    serving(emu, old)

    assert endpoint_outcome(apply(emu, specs, force=True)).status == APPLIED
    assert serving(emu)["EndpointConfigName"] != old
    assert QUARANTINE_TAG not in endpoint_tags(emu) and record(emu) is None
    assert not plan(emu, specs).resource_changes


def test_without_the_table_or_a_tag_automatic_runs_do_not_deploy(emu: Emulator,
                                                                  estate: Any) -> None:
    """The table is lost and the endpoint carries no quarantine tag (a rollback recorded by an
    older sagectl, or none at all): what cannot be known is treated as not safe."""
    old = serving(emu)["EndpointConfigName"]
    specs = estate(BIGGER)  # merged, not applied yet
    lose_the_table(emu)
    updates = emu.calls[("sagemaker", "UpdateEndpoint")]
    automatic, messages = run(emu, specs, automatic=True)
    assert any(m.startswith(LOST) for m in messages), messages
    outcome = endpoint_outcome(automatic)
    assert outcome.status == WAITING, outcome
    assert outcome.reason.startswith(f"quarantine status unknown: the state table {TABLE} was "
                                     "missing"), outcome
    again, _ = run(emu, specs, automatic=True)  # the table exists again: still unknown
    assert endpoint_outcome(again).status == WAITING
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == updates
    serving(emu, old)

    assert endpoint_outcome(apply(emu, specs)).status == APPLIED  # a human applies it
    assert record(emu) is None
    weights = estate({"endpoint.yaml": BIGGER["endpoint.yaml"].replace(
        "initialVariantWeight: 90", "initialVariantWeight: 80")})
    assert endpoint_outcome(apply(emu, weights, automatic=True)).status == APPLIED


def test_the_quarantine_ends_when_a_different_spec_is_applied(emu: Emulator,
                                                              estate: Any) -> None:
    rolled_back(emu, estate(BIGGER))
    assert QUARANTINE_TAG in endpoint_tags(emu)
    specs = estate()  # the spec goes back to what runs
    assert endpoint_outcome(apply(emu, specs)).status == APPLIED
    assert QUARANTINE_TAG not in endpoint_tags(emu) and record(emu) is None
    assert not plan(emu, specs).resource_changes
