"""Faults end in a true, safe outcome (issue 13): a burst of errors while sagectl polls an update
or its alarms does not abort a change that is going well."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.context import APPLIED
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.kinds.endpoint.test_plan_changes import ALARM, ENDPOINT, MODEL
from tests.plan.helpers import aws_for, write

BAKED_ALARM = ALARM + "  treatMissingData: notBreaching\n"
BASE = {"model.yaml": MODEL, "alarm.yaml": BAKED_ALARM, "endpoint.yaml": ENDPOINT}
NEW_MODEL = {"model.yaml": MODEL.replace(":1\n", ":2\n")}


@pytest.fixture
def estate(emu: Emulator, tmp_path: Path) -> Callable[..., Path]:
    run = apply(emu, write(tmp_path, BASE))
    assert set(statuses(run).values()) == {APPLIED}, run.result
    return lambda changes: write(tmp_path, {**BASE, **changes})


def live_config(emu: Emulator) -> Any:
    aws = aws_for(emu)
    try:
        return aws.client("sagemaker").describe_endpoint(EndpointName="scorer")[
            "EndpointConfigName"]
    finally:
        aws.close()


@pytest.mark.parametrize("error", ["503", "throttle"])
def test_a_burst_of_errors_while_polling_the_update_is_outlasted(
        emu: Emulator, estate: Any, error: str) -> None:
    """Failed DescribeEndpoint answers in a row just after UpdateEndpoint, more than botocore's
    retries absorb (the tests' clients make two attempts): the wait tries again. (Throttling
    makes botocore's adaptive mode sleep in real time, which the emulator's 1000x clock turns
    into hours: two calls' worth of it is the burst here.)"""
    old = live_config(emu)
    emu.before_call("sagemaker", "UpdateEndpoint", lambda: emu.inject(
        error, "sagemaker", "DescribeEndpoint", times=8 if error == "503" else 4))
    run = apply(emu, estate(NEW_MODEL))
    assert statuses(run)["Endpoint.scorer"] == APPLIED, run.result
    assert live_config(emu) != old
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 1  # never a second deploy


def test_a_burst_of_errors_while_reading_alarms_in_the_bake_is_outlasted(
        emu: Emulator, estate: Any) -> None:
    """The endpoint's tags are the last step before the bake: from then on DescribeAlarms
    answers 503 eight times in a row."""
    emu.before_call("sagemaker", "AddTags", lambda: emu.inject(
        "503", "cloudwatch", "DescribeAlarms", times=8))
    run = apply(emu, estate(NEW_MODEL))
    assert statuses(run)["Endpoint.scorer"] == APPLIED, run.result
    assert emu.calls[("cloudwatch", "DescribeAlarms")] >= 5
