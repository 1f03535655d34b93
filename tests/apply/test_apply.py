"""sagectl's apply against the emulator: the happy paths, guardrails and the fault matrix.

Every test asserts the final AWS state and the outcome, and that the endpoint kept serving
(InService, on the old or the new config).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.context import APPLIED, DEGRADED, ROLLED_BACK, WAITING
from reconciler.emulator import Emulator
from tests.apply.helpers import apply, context, statuses
from tests.plan.helpers import aws_for, plan, write
from tests.plan.test_plan_changes import ALARM, ENDPOINT, MODEL

ACCOUNT, REGION = "111111111111", "eu-west-1"
MUTATING_SERVICES = ("sagemaker", "applicationautoscaling", "cloudwatch")
BASE = {"model.yaml": MODEL, "alarm.yaml": ALARM, "endpoint.yaml": ENDPOINT}


def describe(emu: Emulator, name: str = "scorer") -> dict[str, Any]:
    aws = aws_for(emu)
    try:
        return aws.client("sagemaker").describe_endpoint(EndpointName=name)  # type: ignore[no-any-return]
    finally:
        aws.close()


def alarm(emu: Emulator, state: str, name: str = "scorer-errors") -> None:
    emu.set_alarm_state(name, state, region=REGION, account=ACCOUNT)


def aws_mutations(emu: Emulator) -> int:
    from reconciler.emulator.faults import is_mutating

    return sum(n for (service, action), n in emu.calls.items()
               if service in MUTATING_SERVICES and is_mutating(action))


def targets(emu: Emulator) -> dict[str, tuple[int, int]]:
    aws = aws_for(emu)
    try:
        found = aws.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="sagemaker")["ScalableTargets"]
        return {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"]) for t in found}
    finally:
        aws.close()


def new_model() -> dict[str, str]:
    return {"model.yaml": MODEL.replace(":1\n", ":2\n")}


@pytest.fixture
def estate(emu: Emulator, tmp_path: Path) -> Callable[..., Any]:
    """The base estate applied by sagectl; returns ``edit(files) -> specs``."""
    specs = write(tmp_path, BASE)
    run = apply(emu, specs)
    assert set(statuses(run).values()) == {APPLIED}, run.result
    alarm(emu, "OK")

    def edit(changes: dict[str, str] | None = None) -> Path:
        return write(tmp_path, {**BASE, **(changes or {})})

    return edit


def serving(emu: Emulator, config: str | None = None) -> dict[str, Any]:
    live = describe(emu)
    assert live["EndpointStatus"] == "InService", live
    if config is not None:
        assert live["EndpointConfigName"] == config
    return live


# -- properties ---------------------------------------------------------------------------------

def test_create_then_plan_is_empty_and_a_second_apply_is_a_no_op(emu: Emulator,
                                                                   estate: Any) -> None:
    specs = estate()
    assert not plan(emu, specs).resource_changes
    before = aws_mutations(emu)
    run = apply(emu, specs)
    assert run.result is not None and run.result.outcomes == []
    assert aws_mutations(emu) == before
    assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}


def test_weights_only_change_takes_the_in_place_path(emu: Emulator, estate: Any) -> None:
    old = serving(emu)["EndpointConfigName"]
    specs = estate({"endpoint.yaml": ENDPOINT.replace("initialVariantWeight: 90",
                                                      "initialVariantWeight: 80")})
    run = apply(emu, specs)
    assert statuses(run) == {"Endpoint.scorer": APPLIED}
    live = serving(emu, old)
    weights = {v["VariantName"]: v["DesiredWeight"] for v in live["ProductionVariants"]}
    assert weights == {"primary": 80.0, "challenger": 10.0}
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 0
    assert not plan(emu, specs).resource_changes


def test_new_model_by_canary_with_bake_keeps_autoscaled_count(emu: Emulator,
                                                              estate: Any) -> None:
    emu.scale_variant("scorer", "primary", 5, region=REGION, account=ACCOUNT)
    specs = estate(new_model())
    run = apply(emu, specs)
    assert statuses(run) == {"Model.scorer-model": APPLIED, "Endpoint.scorer": APPLIED}
    change = run.plan.resource_changes[-1]
    live = serving(emu, change.consequences["new_config"])
    counts = {v["VariantName"]: v["DesiredInstanceCount"] for v in live["ProductionVariants"]}
    assert counts["primary"] == 5, "the autoscaled count was reset by the deploy"
    assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}
    assert not plan(emu, specs).resource_changes


# -- the fault matrix ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["fail", "silent_rollback"])
def test_failed_or_silently_rolled_back_update_is_rolled_back(emu: Emulator, estate: Any,
                                                              kind: str) -> None:
    old = serving(emu)["EndpointConfigName"]
    specs = estate(new_model())
    emu.fail_next_update("scorer", kind)
    run = apply(emu, specs)
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    if kind == "fail":
        assert outcome.status == DEGRADED, outcome
        assert "Failed" in outcome.reason
    else:
        assert outcome.status == ROLLED_BACK, outcome
        assert "rolled the update back" in outcome.reason
        serving(emu, old)
        assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}
        # the model made only for this endpoint was undone with it
        assert statuses(run)["Model.scorer-model"] == ROLLED_BACK
    # never retried in a loop: a Failed endpoint waits for a human; a rolled-back spec is
    # quarantined until it changes
    updates = emu.calls[("sagemaker", "UpdateEndpoint")]
    again = apply(emu, specs, automatic=True)
    reason = {o.address: o for o in again.result.outcomes}["Endpoint.scorer"].reason  # type: ignore[union-attr]
    assert statuses(again)["Endpoint.scorer"] == WAITING
    assert ("Failed" if kind == "fail" else "quarantined") in reason
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == updates


def test_update_rollback_failed_is_degraded_and_never_retried(emu: Emulator,
                                                              estate: Any) -> None:
    specs = estate(new_model())
    emu.fail_next_update("scorer", "rollback_failed")
    run = apply(emu, specs)
    assert statuses(run)["Endpoint.scorer"] == DEGRADED
    updates = emu.calls[("sagemaker", "UpdateEndpoint")]
    again = apply(emu, specs)
    assert statuses(again).get("Endpoint.scorer") in (WAITING, None)
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == updates


def test_alarm_firing_during_our_bake_rolls_back(emu: Emulator, estate: Any) -> None:
    old = serving(emu)["EndpointConfigName"]
    specs = estate(new_model())
    new_config: list[str] = []

    def fire_when_deployed() -> None:
        aws = aws_for(emu)
        for _ in range(5000):
            live = aws.client("sagemaker").describe_endpoint(EndpointName="scorer")
            if live["EndpointStatus"] == "InService" and live["EndpointConfigName"] != old:
                new_config.append(live["EndpointConfigName"])
                alarm(emu, "ALARM")
                return
            threading.Event().wait(0.002)

    watcher = threading.Thread(target=fire_when_deployed, daemon=True)
    watcher.start()
    run = apply(emu, specs)
    watcher.join(10)
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert new_config, "the deploy never reached the new config"
    assert outcome.status == ROLLED_BACK and "ALARM during the bake" in outcome.reason
    serving(emu, old)
    assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}


def test_no_alarm_data_for_the_whole_bake_is_inconclusive(emu: Emulator, estate: Any) -> None:
    old = serving(emu)["EndpointConfigName"]
    alarm(emu, "INSUFFICIENT_DATA")
    run = apply(emu, estate(new_model()))
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert outcome.status == ROLLED_BACK and "inconclusive" in outcome.reason
    serving(emu, old)


def test_no_alarm_data_allowed_by_the_spec(emu: Emulator, estate: Any) -> None:
    alarm(emu, "INSUFFICIENT_DATA")
    endpoint = ENDPOINT.replace("bake: {durationInSeconds: 60}",
                                "bake: {durationInSeconds: 60, allowInsufficientData: true}")
    run = apply(emu, estate({**new_model(), "endpoint.yaml": endpoint}))
    assert statuses(run)["Endpoint.scorer"] == APPLIED


def test_concurrent_apply_on_the_same_endpoint_waits(emu: Emulator, estate: Any) -> None:
    specs = estate(new_model())
    other = context(emu)
    other.state.acquire("scorer", "someone-else", "ci@other")
    run = apply(emu, specs)
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert outcome.status == WAITING and "ci@other" in outcome.reason
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 0
    other.aws.close()
