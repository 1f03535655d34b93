"""Inference components planned and applied through sagectl against the emulator: create,
copy-only updates, rolling updates (success and rollback), autoscaled copies, deletion order."""

from __future__ import annotations

from pathlib import Path

from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.kinds.inference_component.helpers import component, described, estate
from tests.plan.helpers import one, ops, plan, write


def test_endpoint_and_component_created_in_one_apply(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(base=component()))
    first = plan(emu, specs)
    assert not first.errors, first.problems
    change = one(first, "InferenceComponent.base")
    assert change.action_reason == "new"
    assert ops(change)[:3] == ["sagemaker:CreateInferenceComponent", "sagectl:wait",
                               "sagectl:verify"]
    assert "Endpoint.llm" in change.depends_on and "Model.llm-model" in change.depends_on
    order = [c.address for c in first.resource_changes]
    assert order.index("Endpoint.llm") < order.index("InferenceComponent.base")
    run = apply(emu, specs)
    assert statuses(run)["InferenceComponent.base"] == "applied", run.result
    d = described(emu)
    assert d["InferenceComponentStatus"] == "InService"
    assert d["RuntimeConfig"]["DesiredCopyCount"] == 2
    again = plan(emu, specs)
    assert not again.resource_changes, [(c.address, c.diff) for c in again.resource_changes]
