"""A model created after a plan's tagging-API snapshot is not unmanaged: its own tags (ListTags)
say who owns it, as for endpoints and alarms."""

from __future__ import annotations

from pathlib import Path

from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.kinds.ownership_race import assert_confirmed_by_own_tags
from tests.plan.helpers import write

FILES = {"model.yaml": """
apiVersion: sagectl/v1
kind: Model
metadata: {name: scorer}
spec:
  executionRoleArn: arn:aws:iam::123456789012:role/inference
  primaryContainer:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/scorer:1
"""}


def test_a_model_the_tagging_snapshot_missed_is_confirmed_by_its_own_tags(
        emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, FILES)
    apply(emu, specs)
    assert_confirmed_by_own_tags(emu, specs, lambda sm: sm.list_models()["Models"][0]["ModelArn"])
