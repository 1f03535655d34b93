"""A model created after a plan's tagging-API snapshot is not unmanaged: its own tags (ListTags)
say who owns it, as for endpoints and alarms."""

from __future__ import annotations

from pathlib import Path

from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.plan.helpers import aws_for, plan, write

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
    aws = aws_for(emu)
    sm = aws.client("sagemaker")
    [model] = sm.list_models()["Models"]
    arn = model["ModelArn"]
    tags = sm.list_tags(ResourceArn=arn)["Tags"]
    assert any(t["Key"].startswith("sagectl:") for t in tags)

    def hide() -> None:
        sm.delete_tags(ResourceArn=arn, TagKeys=[t["Key"] for t in tags])

    def restore() -> None:
        sm.add_tags(ResourceArn=arn, Tags=tags)

    hide()  # the snapshot the plan reads at its start misses the tags...
    emu.before_call("sagemaker", "ListTags", restore)  # ...which are there when asked
    found = plan(emu, specs)
    aws.close()
    assert not found.errors, found.errors
    assert found.resource_changes == []
    assert emu.calls[("sagemaker", "ListTags")] >= 1
