"""The plan's rollout peak and the emulator agree (sagemaker-rules.md rule 53): a peak that
needs more instances than the variant can have is a warning that says the update will be rolled
back, and the apply's outcome is that rollback."""

from __future__ import annotations

from pathlib import Path

from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.kinds.inference_component.helpers import (
    ROLLING,
    component,
    described,
    estate,
    set_alarm,
)
from tests.plan.helpers import one, plan, write


def test_rule_53_a_peak_beyond_the_maximum_is_announced_and_rolled_back(
        emu: Emulator, tmp_path: Path) -> None:
    # 4 copies x 2 GPUs fill both ml.g5.12xlarge the variant can have (managed max 2)
    specs = write(tmp_path, estate(base=component(copies=4, extra=ROLLING)))
    assert set(statuses(apply(emu, specs)).values()) == {"applied"}
    set_alarm(emu, "OK")
    old_model = described(emu)["Specification"]["ModelName"]
    write(tmp_path, estate(version=2, base=component(copies=4, extra=ROLLING)))
    p = plan(emu, specs)
    change = one(p, "InferenceComponent.base")
    rollout = change.consequences["rollout"]
    assert (rollout["instances_now"], rollout["instances_at_peak"],
            rollout["instance_maximum"]) == (2, 3, 2)
    warned = [w for w in p.problems if w.address == "InferenceComponent.base"]
    assert [w.severity for w in warned] == ["warning"]
    assert warned[0].message == (
        "the rolling update cannot find room: 4 old + 1 new copies need at least 3 x "
        "ml.g5.12xlarge at each batch, 1 more than the variant can have (managedInstanceScaling "
        "max is 2); the first batch cannot be placed. AWS does not document what follows; it "
        "describes capacity shortfalls as \"causing update failures and rollbacks\": expect the "
        "update to fail and the component to stay on its current specification")
    assert any(line.startswith("the update is expected to fail: ")
               for line in change.consequences["summary"])
    run = apply(emu, specs)
    assert statuses(run)["InferenceComponent.base"] == "rolled_back", run.result
    after = described(emu)
    assert after["Specification"]["ModelName"] == old_model
    assert "found no room next to the running copies" in after["FailureReason"]


def test_rule_53_other_components_count_in_the_peak(emu: Emulator, tmp_path: Path) -> None:
    """3 instances hold base's 4 copies and other's 2: base's batch has no room left."""
    specs = write(tmp_path, estate(high=3, base=component(copies=4, extra=ROLLING),
                                   other=component("other", copies=2)))
    assert set(statuses(apply(emu, specs)).values()) == {"applied"}
    write(tmp_path, estate(version=2, high=3, base=component(copies=4, extra=ROLLING),
                           other=component("other", copies=2)))
    p = plan(emu, specs)
    rollout = one(p, "InferenceComponent.base").consequences["rollout"]
    assert (rollout["instances_now"], rollout["instances_at_peak"]) == (3, 4)
    warned = [w.message for w in p.problems if w.address == "InferenceComponent.base"]
    assert len(warned) == 1
    assert warned[0].startswith("the rolling update cannot find room: 4 old + 1 new copies (with "
                                "2 copies of other components) need at least 4 x ml.g5.12xlarge")
