"""Fault injection: throttling and 5xx on any operation, latency, and the crash point."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.helpers import error_code, model


def test_throttle_n_times_then_succeed(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.inject("throttle", "sagemaker", "ListModels", times=2)
    for _ in range(2):
        with pytest.raises(ClientError) as exc:
            sm.list_models()
        assert error_code(exc.value) == "ThrottlingException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sm.list_models()["Models"] == []


def test_botocore_retries_through_a_throttling_storm(emu: Emulator) -> None:
    sm = emu.client("sagemaker", retries=5)
    emu.inject("throttle", "sagemaker", "ListModels", times=3)
    assert sm.list_models()["Models"] == []
    assert emu.calls[("sagemaker", "ListModels")] == 4


def test_5xx_answers_before_anything_changes(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.inject("5xx", "sagemaker", "CreateModel", times=1)
    with pytest.raises(ClientError) as exc:
        model(sm)
    assert error_code(exc.value) == "InternalFailure"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert sm.list_models()["Models"] == []  # nothing was created
    model(sm)
    assert len(sm.list_models()["Models"]) == 1


def test_faults_can_target_a_whole_service_of_any_kind(emu: Emulator) -> None:
    emu.inject("503", "applicationautoscaling", times=1)
    aas = emu.client("application-autoscaling")
    with pytest.raises(ClientError) as exc:
        aas.describe_scalable_targets(ServiceNamespace="sagemaker")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    emu.inject("throttle", "cloudwatch", times=1)
    with pytest.raises(ClientError) as exc:
        emu.client("cloudwatch").describe_alarms()
    assert error_code(exc.value) == "ThrottlingException"
    emu.client("sagemaker").list_models()  # other services unaffected


def test_probabilistic_faults(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.inject("throttle", "sagemaker", "ListModels", probability=0.5)
    outcomes = []
    for _ in range(200):
        try:
            sm.list_models()
            outcomes.append(True)
        except ClientError:
            outcomes.append(False)
    assert 60 < outcomes.count(False) < 140


def test_latency_is_added_per_call(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    emu.set_latency(0.05)
    start = time.perf_counter()
    for _ in range(4):
        sm.list_models()
    assert time.perf_counter() - start >= 0.2
    emu.set_latency(0.0)


def test_crash_point_holds_the_response_after_the_call_took_effect(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    sm.list_models()  # reads do not count
    emu.arm_crash(after_mutations=2)
    results: list[Any] = []

    def client_run() -> None:
        for name in ("a", "b", "c"):
            results.append(model(sm, name))

    thread = threading.Thread(target=client_run, daemon=True)
    thread.start()
    assert emu.wait_for_crash(timeout=10) == "sagemaker:CreateModel"
    assert results == ["a"]  # the client has not heard back about "b"...
    names = {m["ModelName"] for m in emu.client("sagemaker").list_models()["Models"]}
    assert names == {"a", "b"}  # ...but AWS has acted on it
    assert thread.is_alive()
    emu.release_crash()
    thread.join(10)
    assert results == ["a", "b", "c"]
    assert emu.mutations == 3


def test_nothing_leaks_from_one_emulator_to_the_next() -> None:
    from sagemaker_emulator import in_process

    with in_process() as first:
        sm = first.client("sagemaker")
        model(sm, "left-behind")
        first.freeze()
        first.inject("throttle", "sagemaker", times=100)
        first.set_latency(1.0)
        first.fail_next_update("ep", "hang")
    with in_process() as second:
        assert not second.state.clock.frozen
        assert second.state.faults.latency_for("sagemaker") == 0.0
        assert second.state.faults.take_endpoint_fault("ep", "update") is None
        assert second.client("sagemaker").list_models()["Models"] == []  # no throttle, no model
        assert second.mutations == 0 and sum(second.calls.values()) == 1
