"""``sagectl demo``, the README's main command: it passes on the example specs, and it fails
when sagectl (or the estate) does not behave as the story says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, REPO

DEMO = "from reconciler.cli.main import main; raise SystemExit(main(['demo', *sys.argv[1:]]))"


def run_demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "import sys; " + DEMO, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def test_the_demo_passes_on_the_example_specs() -> None:
    done = run_demo()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for expected in ("== 1. Validate the example specs",
                     "plan: weights_only: sagemaker:UpdateEndpointWeightsAndCapacities",
                     "rolled_back: SageMaker rolled the update back",
                     "out_of_band: productionVariants[challenger].initialVariantWeight: "
                     "live 50.0, spec 20.0",
                     "healed: Endpoint.fraud-scorer",
                     "chat-llm-base: InService on chat-llm-",
                     "the autoscaler's 2 copies kept",
                     "monitoring (information): MonitoringSchedule.fraud-scorer-data-quality: "
                     "the latest monitoring execution"):
        assert expected in out, out
    assert "all 10 steps behaved as expected" in out


def test_the_demo_fails_when_a_step_misbehaves(tmp_path: Path) -> None:
    """Without a deployment policy, rollback alarms and bakes, the estate is not the one the story
    tells (its alarms no longer guard the endpoint, so they are applied after it): the demo must
    stop at the first step that differs and say what it expected."""
    specs = tmp_path / "specs"
    shutil.copytree(EXAMPLES, specs)
    endpoint = specs / "endpoints" / "fraud-scorer.yaml"
    text = endpoint.read_text()
    start = text.index("  deploymentConfig:")
    end = text.index("  bake:")
    endpoint.write_text((text[:start] + text[end:]).replace("durationInSeconds: 600",
                                                            "durationInSeconds: 0"))
    for env, seconds in (("dev", 120), ("prod", 900)):
        path = specs / "environments" / f"{env}.yaml"
        path.write_text(path.read_text().replace(f"durationInSeconds: {seconds}",
                                                 "durationInSeconds: 0"))
    done = run_demo(str(specs))
    assert done.returncode == 1, done.stdout[-3000:]
    assert "FAILED: expected exit 6 with 15 applied, got 6:" in done.stdout
    assert "step 3 did not behave as expected" in done.stdout
    assert "all 10 steps behaved as expected" not in done.stdout


def test_the_demo_needs_the_example_directory(tmp_path: Path) -> None:
    done = run_demo(str(tmp_path))
    assert done.returncode == 2
    assert "is not the example spec directory" in done.stderr
