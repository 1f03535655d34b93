"""The ownership race, shared by the kinds' tests: a plan reads the tagging API once, at its
start; a resource another run created (and tagged) after that is missing from the snapshot but is
not unmanaged, and its own tags say who owns it. The tags are taken away before the plan and put
back when the kind asks for them (hooked on that call, so the test does not race the plan's
concurrent reads): without the confirmation the plan says "not managed by sagectl"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sagemaker_emulator import Emulator
from tests.plan.helpers import aws_for, plan

SAGEMAKER = ("sagemaker", "ListTags", "ResourceArn", "delete_tags", "TagKeys", "add_tags")
CLOUDWATCH = ("cloudwatch", "ListTagsForResource", "ResourceARN", "untag_resource", "TagKeys",
              "tag_resource")


def assert_confirmed_by_own_tags(emu: Emulator, specs: Path, arn_of: Any,
                                 api: tuple[str, ...] = SAGEMAKER) -> None:
    """``arn_of(client)``: the resource's ARN, read with the service's client after the apply."""
    service, confirm, arn_key, untag, keys_key, tag = api
    aws = aws_for(emu)
    client = aws.client(service)
    arn = arn_of(client)
    tags = getattr(client, confirm[0].lower() + "".join(
        f"_{c.lower()}" if c.isupper() else c for c in confirm[1:]))(**{arn_key: arn})["Tags"]
    assert any(t["Key"].startswith("sagectl:") for t in tags)
    getattr(client, untag)(**{arn_key: arn, keys_key: [t["Key"] for t in tags]})
    emu.before_call(service, confirm, lambda: getattr(client, tag)(**{arn_key: arn, "Tags": tags}))
    try:
        found = plan(emu, specs)
    finally:
        aws.close()
    assert not found.errors, found.errors
    assert found.resource_changes == []
    assert emu.calls[(service, confirm)] >= 1
