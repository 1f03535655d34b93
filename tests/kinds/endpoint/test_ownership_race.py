"""An endpoint created after a plan's tagging-API snapshot is not unmanaged: its own tags say
who owns it (the ownership race between two runs)."""

from __future__ import annotations

from pathlib import Path

from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.kinds.endpoint.test_instance_pools import FILES
from tests.kinds.ownership_race import assert_confirmed_by_own_tags
from tests.plan.helpers import write


def test_an_endpoint_the_tagging_snapshot_missed_is_confirmed_by_its_own_tags(
        emu: Emulator, tmp_path: Path) -> None:
    """The ownership race: a plan reads the tagging API once, at its start; an endpoint another
    run created (and tagged) after that is missing from the snapshot but is not unmanaged. Its
    own tags (ListTags) say who owns it. Here the endpoint's tags are away while the tagging API
    is read and back when asked (hooked on ListTags, so the test does not race the plan's
    concurrent reads): without the confirmation the plan said "exists and
    is not managed by sagectl" (seen as a flaky two-applies test on a loaded machine)."""
    specs = write(tmp_path, FILES)
    apply(emu, specs)
    assert_confirmed_by_own_tags(emu, specs, lambda sm: sm.describe_endpoint(
        EndpointName="chat")["EndpointArn"])
