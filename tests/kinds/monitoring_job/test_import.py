"""Importing job definitions (the hooks the MonitoringSchedule kind's import asks): a definition
sagectl made gets its spec name back (content suffix stripped, no annotation), an unmanaged one
keeps its live name in an annotation and is adopted; both round-trip to no changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.importer import yamltext
from reconciler.importer.adopt import adopt, rehearse
from reconciler.importer.documents import Document
from reconciler.importer.live import ImportRefused, read_tags
from reconciler.importer.naming import ImportContext, Tree
from reconciler.plan.context import PlanOptions
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.kinds.monitoring_job.helpers import definition, estate, live_definitions, sm
from tests.plan.helpers import aws_for, environment_key, one, plan, write

KIND = "ModelBiasJobDefinition"


def imported(emu: Emulator, specs: Path, live_name: str, kind: str = KIND) -> Document:
    """What the import writes for the live definition ``live_name``."""
    aws = aws_for(emu)
    try:
        loaded = load_specs(specs, KINDS, "dev")
        ictx = ImportContext(aws, KINDS, Tree.of(loaded, set()))
        live = KINDS[kind].import_read(ictx, [live_name])[live_name]
        read_tags(aws, [live])
        choice = ictx.choose(kind, live_name, live)
        assert choice is not None and choice.new
        return ictx.document(kind, live, choice.name)
    finally:
        aws.close()


def write_and_adopt(emu: Emulator, specs: Path, doc: Document) -> Any:
    (specs / "monitoring" / f"{doc.name}.yaml").write_text(
        yamltext.render([doc.data()], [doc.comments]), encoding="utf-8")
    aws = aws_for(emu)
    try:
        loaded = load_specs(specs, KINDS, "dev")
        assert loaded.ok, [d.text() for d in loaded.report.errors]
        rehearsal = rehearse(loaded, aws, specs.parent, "111111111111", [doc], PlanOptions(
            digest_key=lambda: environment_key(emu, aws, "dev")))
        assert rehearsal.clean, rehearsal.problems
        adopt(aws, rehearsal.taggings)
        return rehearsal
    finally:
        aws.close()


def test_a_definition_sagectl_made_gets_its_spec_name_back(emu: Emulator,
                                                            tmp_path: Path) -> None:
    specs = write(tmp_path, estate(bias=definition("ModelBias", tags="  tags: {team: risk}\n")))
    apply(emu, specs)
    (aws_name,) = live_definitions(emu, "ModelBias")
    write(tmp_path, estate())  # a fresh tree: the endpoint and its model only
    doc = imported(emu, specs, aws_name)
    assert doc.name == "fraud-bias" and doc.annotations == {}
    assert doc.spec["tags"] == {"team": "risk"}
    assert doc.spec["modelBiasJobInput"]["groundTruthS3Input"] == {
        "s3Uri": "s3://bucket/ground-truth/"}
    write_and_adopt(emu, specs, doc)
    again = plan(emu, specs)
    assert again.resource_changes == [] and not again.problems
    assert live_definitions(emu, "ModelBias") == [aws_name]


def test_an_unmanaged_definition_is_adopted_under_its_own_name(emu: Emulator,
                                                               tmp_path: Path) -> None:
    specs = write(tmp_path, estate(bias=definition("ModelBias")))
    params = dict(one(plan(emu, specs), f"{KIND}.fraud-bias").steps[0].params)
    params.update(JobDefinitionName="legacy-bias", Tags=[{"Key": "team", "Value": "risk"}])
    apply(emu, write(tmp_path, estate()))  # the endpoint only
    sm(emu).create_model_bias_job_definition(**params)
    doc = imported(emu, specs, "legacy-bias")
    assert doc.name == "legacy-bias"
    assert doc.annotations == {"sagectl.io/aws-name": "legacy-bias"}
    # before adoption, the annotated definition is not sagectl's: a conflict, not a copy
    (specs / "monitoring" / "legacy-bias.yaml").write_text(
        yamltext.render([doc.data()], [doc.comments]), encoding="utf-8")
    before = plan(emu, specs)
    assert [p.message for p in before.problems] == [
        "model bias job definition legacy-bias (named by sagectl.io/aws-name) exists and is "
        "not managed by sagectl"]
    write_and_adopt(emu, specs, doc)
    after = plan(emu, specs)
    assert after.resource_changes == [] and not after.problems
    # a content change afterwards: a content-named version, the adopted one is an old version
    text = (specs / "monitoring" / "legacy-bias.yaml").read_text()
    (specs / "monitoring" / "legacy-bias.yaml").write_text(
        text.replace("maxRuntimeInSeconds: 1800", "maxRuntimeInSeconds: 1200"))
    change = one(plan(emu, specs), f"{KIND}.legacy-bias")
    assert change.consequences["aws_name"].startswith("legacy-bias-")
    assert [(s.op, s.target) for s in change.steps][1:] == [
        ("sagemaker:DeleteModelBiasJobDefinition", "legacy-bias")]


def test_a_definition_managed_elsewhere_is_refused(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, estate(bias=definition("ModelBias")))
    apply(emu, specs)
    (aws_name,) = live_definitions(emu, "ModelBias")
    arn = sm(emu).describe_model_bias_job_definition(
        JobDefinitionName=aws_name)["JobDefinitionArn"]
    sm(emu).add_tags(ResourceArn=arn, Tags=[{"Key": "sagectl:env", "Value": "prod"}])
    write(tmp_path, estate())
    with pytest.raises(ImportRefused, match="is managed by sagectl"):
        imported(emu, specs, aws_name)


def test_a_batch_transform_definition_round_trips(emu: Emulator, tmp_path: Path) -> None:
    """Empty members (`parquet: {}`) and fractional values survive the import."""
    batch = """
    batchTransformInput:
      dataCapturedDestinationS3Uri: s3://bucket/batch-capture/
      datasetFormat: {parquet: {}}
      localPath: /opt/ml/processing/input
      probabilityThresholdAttribute: 0.5
      startTimeOffset: -PT2H"""
    specs = write(tmp_path, estate(dq=definition("DataQuality", job_input=batch)))
    apply(emu, specs)
    (aws_name,) = live_definitions(emu, "DataQuality")
    write(tmp_path, estate())
    doc = imported(emu, specs, aws_name, "DataQualityJobDefinition")
    assert doc.name == "fraud-dq"
    assert doc.spec["dataQualityJobInput"]["batchTransformInput"]["datasetFormat"] == {
        "parquet": {}}
    write_and_adopt(emu, specs, doc)
    again = plan(emu, specs)
    assert again.resource_changes == [] and not again.problems
