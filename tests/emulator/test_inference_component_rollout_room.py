"""Each batch of a component's rolling update, and each step of its rollback, needs room next to
the copies still running, with every other component's on the variant (sagemaker-rules.md
rule 53). Instances: ml.g5.12xlarge (4 GPUs), copies of 2 GPUs, so 2 copies per instance."""

from __future__ import annotations

from typing import Any

from sagemaker_emulator import Emulator
from tests.emulator.components_helpers import (
    IMAGE,
    copies,
    ic_endpoint,
    ic_status,
    in_service,
    rolling,
)
from tests.emulator.helpers import alarm
from tests.emulator.test_inference_component_updates import NEW_IMAGE, image, new_spec


def instances(sm: Any) -> int:
    variant = sm.describe_endpoint(EndpointName="llm")["ProductionVariants"][0]
    return int(variant["CurrentInstanceCount"])


def on_variant(emu: Emulator, high: int, base_copies: int) -> Any:
    sm = emu.client("sagemaker")
    ic_endpoint(emu, sm, low=1, high=high)
    in_service(emu, sm, copies=base_copies)
    return sm


def update(sm: Any, batch: int, **extra: Any) -> None:
    sm.update_inference_component(InferenceComponentName="base", Specification=new_spec(),
                                  DeploymentConfig=rolling(batch=batch, wait=300, **extra))


def test_rule_53_managed_scaling_adds_an_instance_for_each_batch(emu: Emulator) -> None:
    sm = on_variant(emu, high=3, base_copies=4)
    assert instances(sm) == 2
    update(sm, batch=2)
    d = emu.durations.component_batch
    assert ic_status(sm) == "Updating"
    assert instances(sm) == 3  # 4 old + 2 new copies side by side
    emu.advance(d)
    assert instances(sm) == 2  # baking: 2 old, 2 new
    emu.advance(300)
    assert instances(sm) == 3  # the second batch: 2 old, 2 new, 2 starting
    emu.advance(d + 300)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert (described["InferenceComponentStatus"], image(sm)) == ("InService", NEW_IMAGE)
    assert "FailureReason" not in described
    assert copies(sm) == (4, 4)
    assert instances(sm) == 2


def test_rule_53_a_batch_that_fits_next_to_the_old_copies(emu: Emulator) -> None:
    sm = on_variant(emu, high=2, base_copies=3)  # 2 instances: room for one more copy
    update(sm, batch=1)
    d = emu.durations.component_batch
    for _ in range(3):
        assert (ic_status(sm), instances(sm)) == ("Updating", 2)
        emu.advance(d + 300)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert (described["InferenceComponentStatus"], image(sm)) == ("InService", NEW_IMAGE)
    assert "FailureReason" not in described


def test_rule_53_a_batch_with_no_room_rolls_back(emu: Emulator) -> None:
    sm = on_variant(emu, high=2, base_copies=4)  # both instances full
    update(sm, batch=2)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert (described["InferenceComponentStatus"], image(sm)) == ("InService", IMAGE)
    assert described["FailureReason"] == (
        "Inference component update was rolled back: a batch of 2 new copies found no room "
        "next to the running copies. Insufficient capacity: 4 x base (2 accelerator devices, "
        "1024 MB of memory each), 2 x base (new specification) (2 accelerator devices, 1024 MB "
        "of memory each) must run side by side; the variant can have at most 2 x "
        "ml.g5.12xlarge, which with the other components' copies hold 4 of these 6 copies.")
    assert copies(sm) == (4, 4)
    assert instances(sm) == 2
    emu.advance(3600)  # nothing left in progress
    assert image(sm) == IMAGE


def test_rule_53_other_components_take_room(emu: Emulator) -> None:
    sm = on_variant(emu, high=3, base_copies=4)
    in_service(emu, sm, "other", copies=2)  # the third instance
    assert instances(sm) == 3
    update(sm, batch=2)
    described = sm.describe_inference_component(InferenceComponentName="base")
    assert (described["InferenceComponentStatus"], image(sm)) == ("InService", IMAGE)
    assert "hold 4 of these 6 copies" in described["FailureReason"]


def test_rule_53_a_rollback_needs_room_too(emu: Emulator) -> None:
    sm = on_variant(emu, high=3, base_copies=4)
    alarm(emu.client("cloudwatch"))
    update(sm, batch=2, alarms=["errors"])
    d = emu.durations.component_batch
    emu.advance(2 * d + 300 + 100)  # baking the second batch: 4 new copies run
    emu.hold_alarm_state("errors", "ALARM")
    described = sm.describe_inference_component(InferenceComponentName="base")
    # all 4 old copies back at once (no RollbackMaximumBatchSize) next to the 4 new: 4 instances
    assert described["InferenceComponentStatus"] == "Failed"
    assert described["FailureReason"].startswith(
        "Inference component update was rolled back: CloudWatch alarm(s) errors went into ALARM "
        "during the deployment. The rollback then found no room to bring 4 old copies back next "
        "to the new ones. Insufficient capacity:")
