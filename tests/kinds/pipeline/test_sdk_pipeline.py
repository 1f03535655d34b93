"""A real SageMaker SDK pipeline as a definition builder, and the core's independence of the SDK.

The SDK is the optional extra ``sdk`` (installed by ``.[dev]``); sagectl never imports it, the
builder does. The pipeline is built offline against the in-process emulator (the SDK's S3 calls
land there) and planned like any other.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sagemaker_emulator import Emulator
from tests.conftest import FIXTURES, REPO
from tests.plan import helpers
from tests.plan.helpers import converge, one, ops, plan, write

ENV = helpers.ENV % {"prune": "false"} + "  variables: {artifactBucket: acme-ml-artifacts-dev}\n"

SPEC = """
apiVersion: sagectl/v1
kind: Pipeline
metadata: {name: fraud-training-sdk}
spec:
  roleArn: arn:aws:iam::111111111111:role/sagemaker-fraud-pipelines
  pipelineDefinitionBuilder: fraud_sdk:build
  parameters:
    AucThreshold: 0.85
"""


def test_an_sdk_pipeline_is_built_offline_and_planned(emu: Emulator, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if os.environ.get("CI"):
        import sagemaker  # noqa: F401  (CI installs .[dev], which has the sdk extra: never skip)
    else:
        pytest.importorskip("sagemaker", reason="the `sdk` extra is not installed")
    monkeypatch.setenv("SAGEMAKER_VALIDATE_ROLE", "false")
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    emu.freeze()
    specs = write(tmp_path, {"environments/dev.yaml": ENV, "pipeline.yaml": SPEC})
    shutil.copy(FIXTURES / "sdk_pipeline" / "fraud_sdk.py", specs / "fraud_sdk.py")
    created = plan(emu, specs)
    change = one(created, "Pipeline.fraud-training-sdk")
    assert ops(change) == ["sagemaker:CreatePipeline"]
    defn = json.loads(change.steps[0].params["PipelineDefinition"])
    top = [(s["Name"], s["Type"]) for s in defn["Steps"]]
    assert top == [("Preprocess", "Processing"), ("Train", "Training"),
                   ("Evaluate", "Processing"), ("CheckAUC", "Condition")]
    gate = defn["Steps"][3]["Arguments"]
    assert [s["Type"] for s in gate["IfSteps"]] == ["RegisterModel"]
    assert [s["Type"] for s in gate["ElseSteps"]] == ["Fail"]
    assert defn["Steps"][2]["PropertyFiles"][0]["PropertyFileName"] == "EvaluationReport"
    assert {p["Name"] for p in defn["Parameters"]} == {"InputData", "AucThreshold"}
    assert "creates pipeline fraud-training-sdk with 6 step(s)" in \
        change.consequences["summary"]
    converge(emu, created)
    assert plan(emu, specs).resource_changes == []  # the SDK's output is stable


def test_the_core_never_imports_the_sdk(tmp_path: Path) -> None:
    """Planning the example estate (every kind) leaves `sagemaker` unimported."""
    code = ("import sys\n"
            "from reconciler.cli.main import main\n"
            "code = main(['plan', 'specs/', '--env', 'prod', '--emulator'])\n"
            "assert code == 0, code\n"
            "loaded = sorted(m for m in sys.modules if m == 'sagemaker' "
            "or m.startswith('sagemaker.'))\n"
            "print('SDK modules:', loaded)\n"
            "sys.exit(1 if loaded else 0)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "SDK modules: []" in done.stdout
