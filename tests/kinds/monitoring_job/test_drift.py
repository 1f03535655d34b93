"""Drift of job definitions: an unapplied spec change is pending (the new version is not created
yet), a definition deleted by hand is missing, a converged estate has none."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli.registry import KINDS
from reconciler.drift.classify import DriftReport
from reconciler.drift.run import drift
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context
from tests.kinds.monitoring_job.helpers import definition, estate, live_definitions, sm
from tests.plan.helpers import write

ADDRESS = "DataQualityJobDefinition.fraud-dq"


def classes(emu: Emulator, specs: Path) -> dict[str, str]:
    actx = context(emu)
    try:
        report: DriftReport = drift(load_specs(specs, KINDS, "dev"), actx.aws, actx.state,
                                    specs.parent)
    finally:
        actx.aws.close()
    return {i.address: i.drift_class for i in report.items}


def test_pending_missing_and_none(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(d=definition("DataQuality")))
    apply(emu, specs)
    assert classes(emu, specs) == {}
    write(tmp_path, estate(d=definition("DataQuality", runtime=900)))
    assert classes(emu, specs) == {ADDRESS: "pending"}
    write(tmp_path, estate(d=definition("DataQuality")))
    (name,) = live_definitions(emu, "DataQuality")
    sm(emu).delete_data_quality_job_definition(JobDefinitionName=name)
    assert classes(emu, specs) == {ADDRESS: "missing"}
