"""Faults end in a true, safe outcome (issue 13): what a run says after a fault is what happened.

- a clean-up that AWS refuses after a verified deploy is a warning, never a rollback;
- a run that finishes a rollback another run left half-done reports the rollback and its
  original reason (exit 4), not a failure of its own;
- live state that disappears mid-apply (the emulator restarted, the table deleted) is named;
- an endpoint that waits in quarantine gets none of its new models created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.context import APPLIED, FAILED, ROLLED_BACK, WAITING, Outcome
from reconciler.apply.stage import ApplyRun
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.apply.test_apply import ACCOUNT, BASE, MODEL, REGION, new_model, serving
from tests.plan.helpers import aws_for, write

ALARM_NAME = "scorer-errors"


@pytest.fixture
def estate(emu: Emulator, tmp_path: Path) -> Any:
    specs = write(tmp_path, BASE)
    assert set(statuses(apply(emu, specs)).values()) == {APPLIED}
    return lambda changes=None: write(tmp_path, {**BASE, **(changes or {})})


def outcome_of(run: ApplyRun, address: str = "Endpoint.scorer") -> Outcome:
    assert run.result is not None
    return {o.address: o for o in run.result.outcomes}[address]


def configs(emu: Emulator) -> set[str]:
    aws = aws_for(emu)
    try:
        return {c["EndpointConfigName"] for c in aws.paginate(
            "sagemaker", "list_endpoint_configs", "EndpointConfigs")}
    finally:
        aws.close()


def models(emu: Emulator) -> set[str]:
    aws = aws_for(emu)
    try:
        return {m["ModelName"] for m in aws.paginate("sagemaker", "list_models", "Models")}
    finally:
        aws.close()


# -- a refused clean-up after a verified deploy ------------------------------------------------

def model(version: int) -> dict[str, str]:
    return {"model.yaml": MODEL.replace(":1\n", f":{version}\n")}


def test_a_denied_clean_up_after_a_verified_deploy_is_a_warning(emu: Emulator,
                                                                estate: Any) -> None:
    """The fourth config of the endpoint: the deploy deletes the oldest (three are kept), and
    AWS denies the delete. The endpoint runs its new config, verified and baked: applied, with
    a warning, and the next deploy deletes the old config."""
    first = serving(emu)["EndpointConfigName"]
    for version in (2, 3):
        assert outcome_of(apply(emu, estate(model(version)))).status == APPLIED
    emu.inject("denied", "sagemaker", "DeleteEndpointConfig", times=None)
    run = apply(emu, estate(model(4)))
    outcome = outcome_of(run)
    assert outcome.status == APPLIED, outcome
    warning = f"could not delete the old endpoint config {first}: AccessDeniedException"
    assert outcome.details["warnings"] == [warning] and outcome.reason == warning, outcome
    assert serving(emu)["EndpointConfigName"] not in (first,)
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 3  # three deploys, no rollback
    assert first in configs(emu)

    emu.state.faults.calls.clear()  # AWS allows it again: the next deploy collects it
    assert outcome_of(apply(emu, estate(model(5)))).status == APPLIED
    assert first not in configs(emu) and len(configs(emu)) == 3


# -- a rollback another run left half-done -----------------------------------------------------

class Killed(BaseException):
    """The process died at this point (SIGKILL, an OOM kill): none of sagectl's handlers run."""


def alarm_at_the_bake(emu: Emulator) -> None:
    """The guardrail alarm breaches as the bake starts (the endpoint's tags are the last step
    before it), and stays in ALARM."""
    emu.before_call("sagemaker", "AddTags", lambda: emu.hold_alarm_state(
        ALARM_NAME, "ALARM", region=REGION, account=ACCOUNT))


def test_a_rollback_left_half_done_is_finished_with_its_reason(emu: Emulator,
                                                               estate: Any) -> None:
    """Run A's bake sees the alarm and rolls back: its UpdateEndpoint back to the old config is
    accepted, then A dies. Run B finds the endpoint going back to the old config: it finishes
    the rollback, and says it was rolled back because of the alarm (exit 4), not that
    SageMaker rolled an update back for no reason."""
    old = serving(emu)["EndpointConfigName"]
    specs = estate(new_model())
    alarm_at_the_bake(emu)

    def die() -> None:
        raise Killed

    # the second UpdateEndpoint is the rollback's; A dies as it next looks at the endpoint
    emu.before_call("sagemaker", "UpdateEndpoint", lambda: emu.before_call(
        "sagemaker", "DescribeEndpoint", die), skip=1)
    with pytest.raises(Killed):
        apply(emu, specs)
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 2

    run = apply(emu, specs)
    (resumed,) = run.resumed
    assert resumed.status == ROLLED_BACK, resumed
    assert "ALARM during the bake" in resumed.reason and "FailureReason" not in resumed.reason
    serving(emu, old)
    assert outcome_of(run).status == WAITING and "quarantined" in outcome_of(run).reason


def test_the_exit_code_follows_the_worst_outcome_resumed_ones_included() -> None:
    """The exit code follows the worst outcome, resumed ones included: a finished rollback (4)
    outranks the quarantined change that then waits (6)."""
    from reconciler.apply.context import RANK

    assert RANK[ROLLED_BACK] > RANK[WAITING]
    from reconciler.cli.apply import exit_code

    assert exit_code([Outcome("a", WAITING)], [Outcome("b", ROLLED_BACK)]) == 4
    assert exit_code([Outcome("a", FAILED)], [Outcome("b", ROLLED_BACK)]) == 1
    assert exit_code([Outcome("a", WAITING)], []) == 6
    assert exit_code([], []) == 0


# -- live state that disappears ----------------------------------------------------------------

def test_live_state_that_disappears_mid_apply_is_named(emu: Emulator, estate: Any) -> None:
    """The emulator restarts while the update runs: everything is gone, the state table too."""
    specs = estate(new_model())
    emu.before_call("sagemaker", "UpdateEndpoint", emu.reset)
    run = apply(emu, specs)
    outcome = outcome_of(run)
    assert outcome.status == FAILED, outcome
    assert "live state disappeared" in outcome.reason, outcome
    assert "ResourceNotFoundException" not in outcome.reason, outcome


# -- a quarantined endpoint's new models -------------------------------------------------------

def test_a_quarantined_endpoint_gets_none_of_its_new_models(emu: Emulator, estate: Any) -> None:
    specs = estate(new_model())
    before = models(emu)
    alarm_at_the_bake(emu)
    run = apply(emu, specs)
    assert outcome_of(run).status == ROLLED_BACK
    assert models(emu) == before  # the new model was undone with the endpoint
    created = emu.calls[("sagemaker", "CreateModel")]

    for automatic in (True, False):  # drift --heal / a run by hand without --force
        again = apply(emu, specs, automatic=automatic)
        assert outcome_of(again).status == WAITING and "quarantined" in \
            outcome_of(again).reason
        waiting = [o for o in again.result.outcomes if o.address.startswith("Model.")]
        assert waiting and all(o.status == WAITING and "Endpoint.scorer" in o.reason
                               for o in waiting), waiting
        assert emu.calls[("sagemaker", "CreateModel")] == created
        assert models(emu) == before
