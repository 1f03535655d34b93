"""A converged endpoint that AWS left Failed is never a bare "No changes.": the plan changes
nothing for it (only DeleteEndpoint is possible, rule 6) and says so, with what to do."""

from __future__ import annotations

from pathlib import Path

from reconciler.plan.render.text import render as render_text
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.plan.helpers import IMAGE, ROLE, plan, write

SPECS = {
    "models/m.yaml": f"""
        apiVersion: sagectl/v1
        kind: Model
        metadata: {{name: m}}
        spec:
          executionRoleArn: {ROLE}
          primaryContainer: {{image: "{IMAGE}:1"}}
    """,
    "endpoints/ep.yaml": """
        apiVersion: sagectl/v1
        kind: Endpoint
        metadata: {name: ep}
        spec:
          productionVariants:
            - variantName: primary
              modelName: m
              instanceType: ml.m5.large
              initialInstanceCount: 1
    """,
}


def test_a_failed_endpoint_is_a_warning_not_a_silent_no_change(emu: Emulator,
                                                                 tmp_path: Path) -> None:
    specs = write(tmp_path, SPECS)
    emu.fail_next_create("ep", "image not found")
    assert statuses(apply(emu, specs))["Endpoint.ep"] == "degraded"

    again = plan(emu, specs)
    assert not again.resource_changes and not again.errors
    [warning] = [p for p in again.problems if p.address == "Endpoint.ep"]
    assert warning.severity == "warning"
    assert "endpoint is Failed (image not found)" in warning.message
    assert "allows only deleting it" in warning.message
    assert "delete the endpoint, and the next plan creates it again" in warning.hint
    text = render_text(again)
    assert "endpoint is Failed (image not found)" in text, text
