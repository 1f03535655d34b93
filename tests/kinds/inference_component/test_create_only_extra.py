"""Rule 50 end to end: a top-level InferenceComponent `awsExtra` member that
CreateInferenceComponentInput has and UpdateInferenceComponentInput lacks. The installed botocore
has no such member sagectl lets through, so the test gives `sagectl` (a separate process) a
botocore whose SageMaker model adds one (`~/.aws/models`, where botocore looks before its own
data, as for a model a newer botocore ships). Applied through the CLI against a served emulator,
the member goes out with CreateInferenceComponent; changing or removing it afterwards is a plan
error naming the component and the member (exit code 1), never a silent no-op."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import botocore
import pytest

from sagemaker_emulator.server import RemoteEmulator
from tests.kinds.inference_component.helpers import component, estate
from tests.plan.helpers import write

MEMBER = "PlacementHint"
SERVICE = Path(botocore.__file__).parent / "data" / "sagemaker" / "2017-07-24"


@pytest.fixture
def remote(server: str) -> Iterator[RemoteEmulator]:
    emu = RemoteEmulator(server, "eu-west-1")
    emu.reset()
    emu.unfreeze()
    emu.set_time_factor(0.001)
    yield emu


def _home_with_a_newer_model(home: Path) -> Path:
    """A HOME whose botocore SageMaker model has a create-only CreateInferenceComponent member."""
    model = json.loads(gzip.decompress((SERVICE / "service-2.json.gz").read_bytes()))
    shapes = model["shapes"]
    assert MEMBER not in shapes["CreateInferenceComponentInput"]["members"]
    shapes["CreateInferenceComponentInput"]["members"][MEMBER] = {"shape": "String256"}
    assert MEMBER not in shapes["UpdateInferenceComponentInput"]["members"]
    target = home / ".aws" / "models" / "sagemaker" / "2017-07-24"
    target.mkdir(parents=True)
    (target / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(model).encode()))
    return home


def _sagectl(home: Path, server: str, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGECTL_"))}
    env.update(HOME=str(home), SAGECTL_EMULATOR_URL=server, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-m", "reconciler", *args], env=env, text=True,
                          capture_output=True, timeout=300, check=False)
    return done.returncode, done.stdout + done.stderr


def _specs(tmp_path: Path, extra: str) -> Path:
    return write(tmp_path, estate(base=component(extra=extra)))


def test_rule_50_a_create_only_member_cannot_change_through_the_cli(
        server: str, remote: RemoteEmulator, tmp_path: Path) -> None:
    home = _home_with_a_newer_model(tmp_path / "home")
    specs = _specs(tmp_path, "  awsExtra: {placementHint: spread}\n")
    code, out = _sagectl(home, server, "apply", str(specs), "--env", "dev", "--auto-approve")
    assert code == 0, out
    assert "placementHint" in out, out  # shown in the plan
    code, out = _sagectl(home, server, "plan", str(specs), "--env", "dev",
                         "--detailed-exitcode")
    assert code == 0 and out.splitlines()[-1] == "No changes.", out

    specs = _specs(tmp_path, "  awsExtra: {placementHint: pack}\n")
    code, out = _sagectl(home, server, "plan", str(specs), "--env", "dev")
    assert code == 1, out
    assert "Traceback" not in out, out
    assert "InferenceComponent.base" in out, out
    assert (f"awsExtra.placementHint changed; UpdateInferenceComponent has no {MEMBER} (only "
            "creation takes it)") in out, out
    assert "UpdateInferenceComponent " not in out.replace(
        "UpdateInferenceComponent has no", ""), out  # no update is planned

    specs = _specs(tmp_path, "")
    code, out = _sagectl(home, server, "plan", str(specs), "--env", "dev")
    assert code == 1, out
    assert "awsExtra.placementHint left the spec (AWS has no request that removes it)" in out, out
