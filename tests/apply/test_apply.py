"""sagectl's apply against the emulator: the happy paths, guardrails and the fault matrix.

Every test asserts the final AWS state and the outcome, and that the endpoint kept serving
(InService, on the old or the new config).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.context import APPLIED, DEGRADED, ROLLED_BACK, WAITING
from reconciler.aws import add_call_observer
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context, statuses, targets
from tests.plan.helpers import aws_for, plan, write
from tests.plan.test_plan_changes import ALARM as ALARM_WITHOUT_TREATMENT
from tests.plan.test_plan_changes import ENDPOINT, MODEL

ACCOUNT, REGION = "111111111111", "eu-west-1"
MUTATING_SERVICES = ("sagemaker", "applicationautoscaling", "cloudwatch")
# A minute without errors is a good minute: the alarm is OK by itself when there is no traffic,
# so a bake concludes. The plan tests' alarm treats missing data as missing (the default).
ALARM = ALARM_WITHOUT_TREATMENT + "  treatMissingData: notBreaching\n"
BASE = {"model.yaml": MODEL, "alarm.yaml": ALARM, "endpoint.yaml": ENDPOINT}
ROLLOUT = 300 + 300 + 300 + 120
"""ENDPOINT's canary update (default durations): new fleet, canary, 100%, termination wait."""


def describe(emu: Emulator, name: str = "scorer") -> dict[str, Any]:
    aws = aws_for(emu)
    try:
        return aws.client("sagemaker").describe_endpoint(EndpointName=name)  # type: ignore[no-any-return]
    finally:
        aws.close()


def errors(emu: Emulator, start: float, minutes: int = 60) -> None:
    """The endpoint answers 5xx errors from ``start`` on: a breaching datapoint every minute,
    put at once (CloudWatch takes timestamps up to two hours ahead), whatever the machine's
    speed."""
    aws = aws_for(emu)
    try:
        aws.client("cloudwatch").put_metric_data(Namespace="AWS/SageMaker", MetricData=[
            {"MetricName": "Invocation5XXErrors", "Value": 25.0,
             "Dimensions": [{"Name": "EndpointName", "Value": "scorer"}],
             "Timestamp": datetime.fromtimestamp(start + 60 * i, UTC)} for i in range(minutes)])
    finally:
        aws.close()


@contextmanager
def when_updating(emu: Emulator, then: Callable[[float], None]) -> Iterator[None]:
    """Call ``then(update start)`` once the endpoint is Updating: on the first AWS call sagectl
    makes after its UpdateEndpoint has taken effect, on that call's thread and before it is
    sent. sagectl sees nothing of the update before ``then`` has run, however slow the machine
    (a thread polling for the update can come too late on a loaded one)."""
    updated = threading.Event()
    done: list[float] = []
    failed: list[BaseException] = []
    lock = threading.Lock()
    inside = threading.local()

    def observe(service: str, operation: str) -> None:
        if (service, operation) == ("sagemaker", "UpdateEndpoint"):
            updated.set()  # sent next, so the next call can see it
            return
        if not updated.is_set() or done or failed or getattr(inside, "active", False):
            return  # not yet, done, or one of then's own calls
        with lock:
            if done or failed:
                return
            inside.active = True
            try:
                live = describe(emu)
                if live["EndpointStatus"] == "Updating":
                    then(live["LastModifiedTime"].timestamp())
                    done.append(live["LastModifiedTime"].timestamp())
            except BaseException as err:  # an observer must not raise into sagectl
                failed.append(err)
            finally:
                inside.active = False

    remove = add_call_observer(observe)
    try:
        yield
    finally:
        remove()
    if failed:
        raise failed[0]
    assert done, "the endpoint was never seen Updating"


def aws_mutations(emu: Emulator) -> int:
    from sagemaker_emulator.faults import is_mutating

    return sum(n for (service, action), n in emu.calls.items()
               if service in MUTATING_SERVICES and is_mutating(action))


def new_model() -> dict[str, str]:
    return {"model.yaml": MODEL.replace(":1\n", ":2\n")}


@pytest.fixture
def estate(emu: Emulator, tmp_path: Path) -> Callable[..., Any]:
    """The base estate applied by sagectl; returns ``edit(files) -> specs``."""
    specs = write(tmp_path, BASE)
    run = apply(emu, specs)
    assert set(statuses(run).values()) == {APPLIED}, run.result

    def edit(changes: dict[str, str] | None = None) -> Path:
        return write(tmp_path, {**BASE, **(changes or {})})

    return edit


def serving(emu: Emulator, config: str | None = None) -> dict[str, Any]:
    """The endpoint is InService (on ``config``), and nothing it runs on was lost: its config
    and every model that config uses still exist."""
    live = describe(emu)
    assert live["EndpointStatus"] == "InService", live
    if config is not None:
        assert live["EndpointConfigName"] == config
    aws = aws_for(emu)
    try:
        sm = aws.client("sagemaker")
        used = sm.describe_endpoint_config(EndpointConfigName=live["EndpointConfigName"])
        for variant in used["ProductionVariants"]:
            sm.describe_model(ModelName=variant["ModelName"])
    finally:
        aws.close()
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
    # the new model errors from the moment SageMaker's rollout ends: too late for SageMaker's
    # guardrail, the alarm goes to ALARM within a minute, during sagectl's bake
    with when_updating(emu, lambda start: errors(emu, start + ROLLOUT)):
        run = apply(emu, specs)
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert outcome.status == ROLLED_BACK and "ALARM during the bake" in outcome.reason, outcome
    serving(emu, old)
    assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}


def test_no_alarm_data_for_the_whole_bake_is_inconclusive(emu: Emulator, estate: Any) -> None:
    old = serving(emu)["EndpointConfigName"]
    run = apply(emu, estate({**new_model(), "alarm.yaml": ALARM_WITHOUT_TREATMENT}))
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert outcome.status == ROLLED_BACK and "inconclusive" in outcome.reason
    serving(emu, old)


def test_no_alarm_data_allowed_by_the_spec(emu: Emulator, estate: Any) -> None:
    endpoint = ENDPOINT.replace("bake: {durationInSeconds: 60}",
                                "bake: {durationInSeconds: 60, allowInsufficientData: true}")
    run = apply(emu, estate({**new_model(), "endpoint.yaml": endpoint,
                             "alarm.yaml": ALARM_WITHOUT_TREATMENT}))
    assert statuses(run)["Endpoint.scorer"] == APPLIED


def test_concurrent_apply_on_the_same_endpoint_waits(emu: Emulator, estate: Any) -> None:
    specs = estate(new_model())
    other = context(emu)
    other.state.acquire("scorer", "someone-else", "ci@other", seconds=10**6)
    run = apply(emu, specs)
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert outcome.status == WAITING and "ci@other" in outcome.reason
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 0
    other.aws.close()


def test_alarm_firing_during_the_canary_sagemaker_rolls_back(emu: Emulator,
                                                             estate: Any) -> None:
    old = serving(emu)["EndpointConfigName"]
    with when_updating(emu, lambda start: errors(emu, start)):  # the new model errors
        run = apply(emu, estate(new_model()))
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert outcome.status == ROLLED_BACK, outcome
    assert "rolled the update back" in outcome.reason
    serving(emu, old)
    assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}


def test_update_stuck_past_the_deadline_keeps_the_journal(emu: Emulator, estate: Any) -> None:
    specs = estate(new_model())
    emu.fail_next_update("scorer", "hang")
    run = apply(emu, specs)
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert outcome.status == "failed" and "deadline" in outcome.reason, outcome
    assert describe(emu)["EndpointStatus"] == "Updating"  # the old fleet still serves
    actx = context(emu)
    entry = actx.state.journal("scorer")
    assert entry is not None and entry["phase"] == "updating"
    assert actx.state.lease("scorer") is None, "a failed run must release its lease"
    actx.aws.close()


def test_throttling_storm_is_absorbed_by_retries(emu: Emulator, estate: Any) -> None:
    specs = estate(new_model())
    emu.inject("throttle", probability=0.3)
    run = apply(emu, specs, max_attempts=12)
    emu.state.faults.calls.clear()  # stop the storm before checking
    assert set(statuses(run).values()) == {APPLIED}, run.result
    assert not plan(emu, specs).resource_changes


STEP_OPS = [("sagemaker", "CreateEndpointConfig"), ("applicationautoscaling",
                                                     "DeregisterScalableTarget"),
            ("sagemaker", "UpdateEndpoint"), ("applicationautoscaling", "RegisterScalableTarget"),
            ("applicationautoscaling", "PutScalingPolicy"), ("sagemaker", "AddTags")]


@pytest.mark.parametrize(("service", "action"), STEP_OPS)
def test_5xx_on_each_step_rolls_back_and_keeps_serving(emu: Emulator, estate: Any,
                                                      service: str, action: str) -> None:
    old = serving(emu)["EndpointConfigName"]
    changed = ENDPOINT.replace("instanceType: ml.m5.large\n      initialInstanceCount: 2\n"
                               "      initialVariantWeight: 90",
                               "instanceType: ml.m5.xlarge\n      initialInstanceCount: 2\n"
                               "      initialVariantWeight: 90")
    specs = estate({**new_model(), "endpoint.yaml": changed})
    emu.inject("5xx", service, action, times=3)  # every attempt: the first and 2 retries
    run = apply(emu, specs)
    outcome = {o.address: o for o in run.result.outcomes}["Endpoint.scorer"]  # type: ignore[union-attr]
    assert outcome.status == ROLLED_BACK, outcome
    assert action in outcome.reason
    serving(emu, old)
    assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}
    # and once AWS is healthy again, the same spec goes through when a human forces it
    assert set(statuses(apply(emu, specs, force=True)).values()) == {APPLIED}
    assert not plan(emu, specs).resource_changes


def test_instance_type_change_of_an_autoscaled_variant(emu: Emulator, estate: Any) -> None:
    emu.scale_variant("scorer", "primary", 4, region=REGION, account=ACCOUNT)
    changed = ENDPOINT.replace("instanceType: ml.m5.large\n      initialInstanceCount: 2\n"
                               "      initialVariantWeight: 90",
                               "instanceType: ml.m5.xlarge\n      initialInstanceCount: 2\n"
                               "      initialVariantWeight: 90")
    specs = estate({"endpoint.yaml": changed})
    run = apply(emu, specs)
    assert statuses(run) == {"Endpoint.scorer": APPLIED}
    live = serving(emu, run.plan.resource_changes[0].consequences["new_config"])
    assert {v["VariantName"]: v["DesiredInstanceCount"] for v in live["ProductionVariants"]}[
        "primary"] == 4
    assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}
    assert not plan(emu, specs).resource_changes


def test_removing_an_autoscaled_variant(emu: Emulator, estate: Any) -> None:
    # the challenger becomes autoscaled first, then the primary goes away
    body = ENDPOINT.split("    - variantName: challenger")[1]
    only_challenger = (ENDPOINT.split("    - variantName: primary")[0]
                       + "    - variantName: challenger" + body).replace(
        "initialVariantWeight: 10", "initialVariantWeight: 100")
    specs = estate({"endpoint.yaml": only_challenger})
    run = apply(emu, specs)
    assert statuses(run) == {"Endpoint.scorer": APPLIED}, run.result.outcomes[0].reason  # type: ignore[union-attr]
    summary = run.plan.resource_changes[0].consequences["summary"]
    assert any("all at once" in line for line in summary), summary
    live = serving(emu)
    assert [v["VariantName"] for v in live["ProductionVariants"]] == ["challenger"]
    assert targets(emu) == {}
    assert not plan(emu, specs).resource_changes


def test_concurrent_applies_on_different_endpoints_proceed(emu: Emulator, tmp_path: Path) -> None:
    second = ENDPOINT.replace("name: scorer}", "name: scorer2}").replace(
        "value: scorer}", "value: scorer2}")
    files = {**BASE, "endpoint2.yaml": second}
    specs = write(tmp_path, files)
    other = context(emu)
    other.state.acquire("scorer", "someone-else", "ci@other", seconds=10**6)
    run = apply(emu, specs)
    result = statuses(run)
    assert result["Endpoint.scorer"] == WAITING and result["Endpoint.scorer2"] == APPLIED
    other.state.release("scorer", "someone-else")
    assert statuses(apply(emu, specs))["Endpoint.scorer"] == APPLIED
    other.aws.close()


def test_stale_saved_plan_and_out_of_band_change_are_refused(emu: Emulator,
                                                             estate: Any) -> None:
    specs = estate({"endpoint.yaml": ENDPOINT.replace("initialVariantWeight: 90",
                                                      "initialVariantWeight: 80")})
    saved = plan(emu, specs)
    # someone changes the endpoint by hand between plan and apply
    aws = aws_for(emu)
    aws.client("sagemaker").update_endpoint_weights_and_capacities(
        EndpointName="scorer", DesiredWeightsAndCapacities=[{"VariantName": "challenger",
                                                             "DesiredWeight": 50}])
    emu.advance(100)
    aws.close()
    from reconciler.plan.model import Plan

    run = apply(emu, specs, saved=Plan.from_dict(saved.to_dict()))
    assert run.result is None
    assert [m.address for m in run.moved] == ["Endpoint.scorer"]
    assert "changed since the plan" in run.moved[0].why
    weights = {v["VariantName"]: v["DesiredWeight"] for v in describe(emu)["ProductionVariants"]}
    assert weights == {"primary": 90.0, "challenger": 50.0}, "a refused plan changed something"
