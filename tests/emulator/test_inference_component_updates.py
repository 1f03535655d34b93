"""UpdateInferenceComponent: the deployment limits, the rolling update in batches on the
simulated clock, its alarm and timeout rollbacks (sagemaker-rules.md rules 36 and 37)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.components_helpers import (
    IMAGE,
    copies,
    ic_endpoint,
    ic_status,
    in_service,
    rolling,
    spec,
)
from tests.emulator.helpers import alarm, error_code

NEW_IMAGE = IMAGE.replace(":1", ":2")


def new_spec() -> dict[str, Any]:
    out = spec()
    out["Container"]["Image"] = NEW_IMAGE
    return out


def image(sm: Any, name: str = "base") -> str:
    described = sm.describe_inference_component(InferenceComponentName=name)
    return str(described["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"])


def four_copies(emu: Emulator, high: int = 3) -> Any:
    """An InService component with 4 copies (2 GPUs each: 2 per ml.g5.12xlarge) on ``high``
    instances at most: 3 leave room for a batch of 2 new copies next to the 4 old (rule 53)."""
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, low=1, high=high)
    in_service(emu, sm, copies=4)
    return sm


def refused(sm: Any, deployment: dict[str, Any]) -> str:
    with pytest.raises(ClientError) as info:
        sm.update_inference_component(InferenceComponentName="base", Specification=new_spec(),
                                      DeploymentConfig=deployment)
    assert error_code(info.value) == "ValidationException"
    return str(info.value.response["Error"]["Message"])


# -- rule 36: limits --------------------------------------------------------------------------------

def test_rule_36_deployment_limits(emu: Emulator) -> None:
    sm = four_copies(emu)
    alarm(emu.client("cloudwatch"))
    assert "between 0 and 3600" in refused(sm, rolling(batch=1, wait=3601))
    assert "between 600 and 28800" in refused(sm, rolling(batch=1, timeout=28801))
    assert "between 5% and 50%" in refused(sm, rolling(batch=3))  # 3 of 4 copies: 75 %
    assert "between 5% and 50%" in refused(sm, rolling(batch=60, kind="CAPACITY_PERCENT"))
    assert "at most 10 alarms" in refused(sm, rolling(alarms=["errors"] * 11))
    assert "CloudWatch alarm ghost does not exist" in refused(sm, rolling(alarms=["ghost"]))
    assert ic_status(sm) == "InService"  # nothing started


# -- rule 37: rolling updates --------------------------------------------------------------------

def test_rule_37_rolling_update_in_batches(emu: Emulator) -> None:
    sm = four_copies(emu)
    alarm(emu.client("cloudwatch"))
    deployment = rolling(batch=2, wait=300, alarms=["errors"])
    sm.update_inference_component(InferenceComponentName="base", Specification=new_spec(),
                                  DeploymentConfig=deployment)
    d = emu.durations.component_batch
    assert ic_status(sm) == "Updating"
    emu.advance(d + 300)  # first batch up and baked
    assert ic_status(sm) == "Updating"
    assert image(sm) == IMAGE  # the component shows its specification once the update is done
    emu.advance(d + 299)
    assert ic_status(sm) == "Updating"
    emu.advance(1)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert described["InferenceComponentStatus"] == "InService"
    assert image(sm) == NEW_IMAGE
    assert described["LastDeploymentConfig"] == deployment
    assert described["RuntimeConfig"] == {"DesiredCopyCount": 4, "CurrentCopyCount": 4}
    assert "FailureReason" not in described


def test_rule_37_an_alarm_rolls_back_to_the_old_specification(emu: Emulator) -> None:
    sm = four_copies(emu)
    alarm(emu.client("cloudwatch"))
    sm.update_inference_component(InferenceComponentName="base", Specification=new_spec(),
                                  DeploymentConfig=rolling(batch=2, wait=300, alarms=["errors"]))
    d = emu.durations.component_batch
    emu.advance(d + 100)  # baking the first batch
    emu.hold_alarm_state("errors", "ALARM")
    assert ic_status(sm) == "Updating"  # rolling back: InferenceComponentStatus has no other
    emu.advance(d - 1)
    assert ic_status(sm) == "Updating"
    emu.advance(1)  # no RollbackMaximumBatchSize: all new copies back at once
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert described["InferenceComponentStatus"] == "InService"
    assert image(sm) == IMAGE
    assert described["FailureReason"] == (
        "Inference component update was rolled back: CloudWatch alarm(s) errors went into "
        "ALARM during the deployment.")
    assert copies(sm) == (4, 4)


def test_rule_37_rollback_in_batches(emu: Emulator) -> None:
    sm = four_copies(emu)
    alarm(emu.client("cloudwatch"))
    sm.update_inference_component(
        InferenceComponentName="base", Specification=new_spec(),
        DeploymentConfig=rolling(batch=2, wait=300, alarms=["errors"],
                                 rollback={"Type": "COPY_COUNT", "Value": 1}))
    d = emu.durations.component_batch
    emu.advance(d + 100)
    emu.hold_alarm_state("errors", "ALARM")
    emu.advance(2 * d - 1)  # 2 new copies go back one at a time
    assert ic_status(sm) == "Updating"
    emu.advance(1)
    assert ic_status(sm) == "InService"
    assert image(sm) == IMAGE


def test_rule_37_the_execution_timeout_rolls_back(emu: Emulator) -> None:
    sm = four_copies(emu)
    sm.update_inference_component(InferenceComponentName="base", Specification=new_spec(),
                                  DeploymentConfig=rolling(batch=2, wait=300, timeout=600))
    d = emu.durations.component_batch
    assert 2 * (d + 300) > 600  # the rollout needs longer than the timeout
    emu.advance(600 + d - 1)
    assert ic_status(sm) == "Updating"
    emu.advance(1)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert described["InferenceComponentStatus"] == "InService"
    assert image(sm) == IMAGE
    assert "MaximumExecutionTimeoutInSeconds (600 s)" in described["FailureReason"]


def test_rule_37_without_deployment_config_all_copies_at_once(emu: Emulator) -> None:
    sm = four_copies(emu, high=4)  # all 4 new copies start next to the 4 old (rule 53)
    sm.update_inference_component(InferenceComponentName="base", Specification=new_spec())
    emu.advance(emu.durations.component_batch)
    assert ic_status(sm) == "InService"
    assert image(sm) == NEW_IMAGE
    assert "LastDeploymentConfig" not in sm.describe_inference_component(
        InferenceComponentName="base")


def test_rule_37_injected_failures(emu: Emulator) -> None:
    sm = four_copies(emu, high=4)
    emu.fail_next_component_update("base", "rollback")
    sm.update_inference_component(InferenceComponentName="base", Specification=new_spec())
    emu.advance(emu.durations.component_batch)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert (described["InferenceComponentStatus"], image(sm)) == ("InService", IMAGE)
    assert "(injected)" in described["FailureReason"]
    emu.fail_next_component_update("base")
    sm.update_inference_component(InferenceComponentName="base", Specification=new_spec())
    emu.advance(emu.durations.component_batch)
    assert ic_status(sm) == "Failed"
    with pytest.raises(ClientError):  # a Failed component can only be deleted
        sm.update_inference_component(InferenceComponentName="base", Specification=new_spec())
    sm.delete_inference_component(InferenceComponentName="base")


def test_rule_37_a_specification_that_no_longer_fits_is_rolled_back(emu: Emulator) -> None:
    sm = four_copies(emu, high=2)  # 4 x 2 GPUs fill both instances
    bigger = new_spec()
    bigger["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] = 4
    sm.update_inference_component(InferenceComponentName="base", Specification=bigger)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert (described["InferenceComponentStatus"], image(sm)) == ("InService", IMAGE)
    assert described["FailureReason"].startswith(
        "Inference component update was rolled back: a batch of 4 new copies found no room "
        "next to the running copies. Insufficient capacity: 4 x base (2 accelerator devices, "
        "1024 MB of memory each), 4 x base (new specification) (4 accelerator devices")
