"""Model containers with `modelDataSource` and `additionalModelDataSources` (sagemaker-rules.md
rule 44): part of the content name, applied against the emulator, and their documented limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.plan.helpers import IMAGE, ROLE, aws_for, one, plan, write

MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: llm}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    image: {IMAGE}:1
    modelDataSource:
      s3DataSource:
        s3Uri: s3://models/llama/
        s3DataType: S3Prefix
        compressionType: None
        modelAccessConfig: {{acceptEula: true}}
    additionalModelDataSources:
      - channelName: draft
        s3DataSource: {{s3Uri: s3://models/draft/, s3DataType: S3Prefix, compressionType: None}}
    awsExtra:
      imageConfig: {{repositoryAccessMode: Platform}}
"""


def test_data_sources_reach_create_model_and_plan_clean(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, {"llm.yaml": MODEL})
    apply(emu, specs)
    sm = aws_for(emu, concurrency=1).client("sagemaker")
    name = sm.list_models()["Models"][0]["ModelName"]
    container = sm.describe_model(ModelName=name)["PrimaryContainer"]
    assert container["ModelDataSource"]["S3DataSource"]["ModelAccessConfig"] == {
        "AcceptEula": True}
    assert container["AdditionalModelDataSources"][0]["ChannelName"] == "draft"
    assert container["ImageConfig"] == {"RepositoryAccessMode": "Platform"}
    assert plan(emu, specs).resource_changes == []
    write(tmp_path, {"llm.yaml": MODEL.replace("s3://models/draft/", "s3://models/draft2/")})
    change = one(plan(emu, specs), "Model.llm")
    assert change.steps[0].op == "sagemaker:CreateModel"
    assert change.steps[0].params["ModelName"] != name  # a new content name


RULES = [
    ("    modelDataSource:\n", "    modelDataUrl: s3://models/model.tar.gz\n    modelDataSource:\n",
     "spec.primaryContainer.modelDataSource", "alternatives"),
    ("s3Uri: s3://models/llama/", "s3Uri: s3://models/llama",
     "spec.primaryContainer.modelDataSource.s3DataSource.s3Uri", "must end with '/'"),
    ("    modelDataSource:\n", "    mode: MultiModel\n    modelDataSource:\n",
     "spec.primaryContainer.modelDataSource", "multi-model"),
    ("      - channelName: draft\n", "      - channelName: draft/x\n",
     "spec.primaryContainer.additionalModelDataSources[0].channelName", "expected"),
    ("        s3DataSource: {s3Uri: s3://models/draft/, s3DataType: S3Prefix, "
     "compressionType: None}\n",
     "        s3DataSource: {s3Uri: s3://models/draft/, s3DataType: S3Prefix, "
     "compressionType: None}\n      - channelName: draft\n        s3DataSource: {s3Uri: "
     "s3://models/d/, s3DataType: S3Prefix, compressionType: None}\n",
     "spec.primaryContainer.additionalModelDataSources[1].channelName",
     "duplicate channelName 'draft'"),
    ("compressionType: None}", "compressionType: Zip}",
     "spec.primaryContainer.additionalModelDataSources[0].s3DataSource.compressionType",
     "expected one of"),
]


@pytest.mark.parametrize(("old", "new", "path", "fragment"), RULES,
                         ids=[str(i) for i in range(len(RULES))])
def test_rules_of_data_sources(tmp_path: Path, old: str, new: str, path: str,
                               fragment: str) -> None:
    assert old in MODEL
    specs = write(tmp_path, {"llm.yaml": MODEL.replace(old, new)})
    found = [(d.path, d.message) for d in load_specs(specs, KINDS, "dev").report.errors]
    assert any(p == path and fragment in m for p, m in found), found


def test_more_than_five_additional_sources_are_refused(tmp_path: Path) -> None:
    item = ("      - channelName: c{i}\n        s3DataSource: {{s3Uri: s3://m/{i}/, "
            "s3DataType: S3Prefix, compressionType: None}}\n")
    many = "".join(item.format(i=i) for i in range(6))
    start = MODEL.index("      - channelName: draft")
    end = MODEL.index("    awsExtra:")
    specs = write(tmp_path, {"llm.yaml": MODEL[:start] + many + MODEL[end:]})
    found = [(d.path, d.message) for d in load_specs(specs, KINDS, "dev").report.errors]
    assert ("spec.primaryContainer.additionalModelDataSources",
            "must have at most 5 items, got 6") in found
