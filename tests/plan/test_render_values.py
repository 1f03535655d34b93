"""A plan never hides what changes: a long value keeps the part that differs (text, markdown and
drift alike), policies diff statement by statement, a plan with errors says so on its last line,
secrets stay ``(sensitive)``, and golden files hold long values of every kind.

Golden files live in tests/plan/golden/ (``long-values.*``); regenerate them with
``UPDATE_GOLDEN=1 pytest -n 0 tests/plan/test_render_values.py`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.drift.render import markdown as drift_markdown
from reconciler.drift.render import text as drift_text
from reconciler.plan.model import Plan
from reconciler.plan.render import markdown, pair, text
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.drift.test_drift import run_drift
from tests.plan.helpers import aws_for, converge, one, plan, write
from tests.plan.test_plan_outputs import check_golden

OLD_IMAGE = ("763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-inference:"
             "2.0.1-transformers4.37.0-gpu-py310-cu118-ubuntu20.04")
NEW_IMAGE = OLD_IMAGE.replace("ubuntu20.04", "ubuntu22.04")
OLD_DATA = ("s3://fraud-models-eu-west-1-111111111111/training-output/fraud-scorer/"
            "2024-05-01T10-00-00/output/model.tar.gz")
NEW_DATA = OLD_DATA.replace("2024-05-01T10", "2024-06-01T10")
OLD_ROLE = ("arn:aws:iam::111111111111:role/service-role/"
            "AmazonSageMaker-ExecutionRole-20240501T101010")
NEW_ROLE = OLD_ROLE.replace("20240501T101010", "20240601T090000")
TOKEN = "hf_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-first"
MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: llm}}
spec:
  executionRoleArn: {OLD_ROLE}
  primaryContainer:
    image: {OLD_IMAGE}
    modelDataUrl: {OLD_DATA}
    environment: {{HF_TOKEN: "{TOKEN}"}}
"""
READERS = ["arn:aws:iam::222222222222:role/fraud-model-readers-prod",
           "arn:aws:iam::333333333333:role/fraud-model-readers-staging",
           "arn:aws:iam::444444444444:role/fraud-model-readers-audit"]
RESOURCE = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-models/*"
GROUP = f"""
apiVersion: sagectl/v1
kind: ModelPackageGroup
metadata: {{name: fraud-models}}
spec:
  modelPackageGroupDescription: Fraud models.
  resourcePolicy:
    Version: "2012-10-17"
    Statement:
      - Sid: ProdReads
        Effect: Allow
        Principal: {{AWS: {json.dumps(READERS)}}}
        Action: [sagemaker:DescribeModelPackage, sagemaker:ListModelPackages]
        Resource: {RESOURCE}
"""
DEPLOY = f"""
      - Sid: ProdDeploys
        Effect: Allow
        Principal: {{AWS: arn:aws:iam::222222222222:role/fraud-deployer}}
        Action: sagemaker:CreateModel
        Resource: {RESOURCE}
"""
OLD_OUTPUT = "s3://fraud-pipelines-eu-west-1-111111111111/fraud-scorer/preprocess/v1/train/"
DEFINITION: dict[str, Any] = {
    "Version": "2020-12-01",
    "Steps": [{"Name": "Preprocess", "Type": "Processing", "Arguments": {
        "AppSpecification": {
            "ImageUri": OLD_IMAGE.replace("inference", "training"),
            "ContainerArguments": ["--input", "/opt/ml/processing/input", "--output",
                                   "/opt/ml/processing/output", "--mode", "full",
                                   "--features", "amount,merchant,country,hour"]},
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "train", "S3Output": {
            "S3Uri": OLD_OUTPUT, "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]}}}],
}
PIPELINE = """
apiVersion: sagectl/v1
kind: Pipeline
metadata: {name: training}
spec:
  roleArn: arn:aws:iam::111111111111:role/pipelines
  pipelineDefinitionFile: training.json
"""


@pytest.fixture(autouse=True)
def fixed_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGECTL_GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567")


def estate(definition: dict[str, Any] | None = None, model: str = MODEL, group: str = GROUP
           ) -> dict[str, str]:
    return {"model.yaml": model, "group.yaml": group, "pipeline.yaml": PIPELINE,
            "training.json": json.dumps(definition or DEFINITION, indent=2)}


def changed_definition() -> dict[str, Any]:
    defn = json.loads(json.dumps(DEFINITION))
    args = defn["Steps"][0]["Arguments"]
    args["AppSpecification"]["ImageUri"] = NEW_IMAGE.replace("inference", "training")
    args["AppSpecification"]["ContainerArguments"][-1] = "amount,merchant,country,weekday"
    args["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] = OLD_OUTPUT.replace(
        "/v1/", "/v2/")
    return defn


def changed_estate() -> dict[str, str]:
    model = (MODEL.replace(OLD_IMAGE, NEW_IMAGE).replace(OLD_DATA, NEW_DATA)
             .replace(OLD_ROLE, NEW_ROLE).replace("-first", "-second"))
    group = GROUP.replace("readers-audit", "readers-audit-2025") + DEPLOY
    return estate(changed_definition(), model, group)


def long_values(emu: Emulator, tmp_path: Path) -> Plan:
    emu.freeze()
    specs = write(tmp_path, estate())
    converge(emu, plan(emu, specs))
    write(tmp_path, changed_estate())
    return plan(emu, specs)


def pairs(rendered: str, path: str) -> list[tuple[str, str]]:
    """The before and after a view shows for ``path``: text ``~ p: b -> a``, markdown and drift
    markdown ``- p = b`` then ``+ p = a``, drift text ``p: live b, spec a``."""
    found = []
    lines = rendered.splitlines()
    for i, line in enumerate(lines):
        body = line.strip()
        if body.startswith(f"~ {path}: "):
            b, _, a = body[len(path) + 4:].partition(" -> ")
            found.append((b, a))
        elif body.startswith(f"{path}: live "):
            b, _, a = body[len(path) + 7:].partition(", spec ")
            found.append((b, a))
        elif body.startswith(f"- {path} = ") and lines[i + 1].startswith(f"+ {path} = "):
            strip = len(path) + 5
            found.append((body[strip:].removesuffix("  (live)"),
                          lines[i + 1][strip:].removesuffix("  (spec)")))
    return found


def test_long_values_show_the_part_that_differs(emu: Emulator, tmp_path: Path) -> None:
    p = long_values(emu, tmp_path)
    expected = {"primaryContainer.image": ("ubuntu20.04", "ubuntu22.04"),
                "primaryContainer.modelDataUrl": ("2024-05-01T10", "2024-06-01T10"),
                "executionRoleArn": ("20240501T101010", "20240601T090000"),
                "pipelineDefinition.Steps[Preprocess].Arguments.AppSpecification.ImageUri": (
                    "ubuntu20.04", "ubuntu22.04"),
                "pipelineDefinition.Steps[Preprocess].Arguments.AppSpecification."
                "ContainerArguments": ("country,hour", "country,weekday"),
                "pipelineDefinition.Steps[Preprocess].Arguments.ProcessingOutputConfig."
                "Outputs[train].S3Output.S3Uri": ("/v1/", "/v2/")}
    for view, rendered, limit in (("text", text.render(p), 60),
                                  ("markdown", markdown.render(p), 120)):
        for path, (old, new) in expected.items():
            (shown,) = pairs(rendered, path) or [("", "")]
            assert shown[0] != shown[1], (view, path, shown)
            assert old in shown[0] and new in shown[1], (view, path, shown)
            assert all(len(side) <= limit for side in shown), (view, path, shown)


def test_a_policy_diffs_by_statement_and_field(emu: Emulator, tmp_path: Path) -> None:
    p = long_values(emu, tmp_path)
    change = one(p, "ModelPackageGroup.fraud-models")
    assert [(d.path, d.before, d.after) for d in change.diff] == [
        ("resourcePolicy.Statement[ProdReads].Principal.AWS", READERS,
         [*READERS[:2], READERS[2] + "-2025"]),
        ("resourcePolicy.Statement[ProdDeploys].Effect", None, "Allow"),
        ("resourcePolicy.Statement[ProdDeploys].Principal.AWS", None,
         "arn:aws:iam::222222222222:role/fraud-deployer"),
        ("resourcePolicy.Statement[ProdDeploys].Action", None, "sagemaker:CreateModel"),
        ("resourcePolicy.Statement[ProdDeploys].Resource", None, RESOURCE)]
    (shown,) = pairs(text.render(p), "resourcePolicy.Statement[ProdReads].Principal.AWS")
    assert "readers-audit\"]" in shown[0] and "readers-audit-2025\"]" in shown[1]


def test_statements_without_sid_are_matched_by_content_then_position(
        emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    anonymous = GROUP.replace("      - Sid: ProdReads\n        Effect", "      - Effect")
    specs = write(tmp_path, {"group.yaml": anonymous})
    converge(emu, plan(emu, specs))
    # a statement inserted first: the old one is unchanged, not "every index moved"
    inserted = anonymous.replace("    Statement:\n", "    Statement:\n" + DEPLOY.replace(
        "      - Sid: ProdDeploys\n        Effect", "      - Effect").lstrip("\n"))
    write(tmp_path, {"group.yaml": inserted})
    change = one(plan(emu, specs), "ModelPackageGroup.fraud-models")
    assert {d.path for d in change.diff} == {
        f"resourcePolicy.Statement[0].{field}"
        for field in ("Effect", "Principal.AWS", "Action", "Resource")}
    assert all(d.before is None for d in change.diff)
    # the statement's principal changes: one field of statement 0
    write(tmp_path, {"group.yaml": anonymous.replace("readers-prod", "readers-live")})
    change = one(plan(emu, specs), "ModelPackageGroup.fraud-models")
    assert [d.path for d in change.diff] == ["resourcePolicy.Statement[0].Principal.AWS"]


def test_a_reordered_policy_is_no_change(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, {"group.yaml": GROUP + DEPLOY})
    converge(emu, plan(emu, specs))
    body = GROUP.split("      - Sid: ProdReads\n", 1)
    swapped = body[0] + DEPLOY.lstrip("\n") + "      - Sid: ProdReads\n" + body[1]
    write(tmp_path, {"group.yaml": swapped})
    p = plan(emu, specs)
    assert p.resource_changes == [] and p.unchanged == 1


def test_secrets_stay_hidden_yet_their_change_shows(emu: Emulator, tmp_path: Path) -> None:
    p = long_values(emu, tmp_path)
    path = "primaryContainer.environment.HF_TOKEN"
    for view, rendered in (("text", text.render(p)), ("markdown", markdown.render(p)),
                           ("json", p.to_json())):
        assert TOKEN not in rendered and "-second" not in rendered and "hf_0123" not in rendered
        if view != "json":
            (shown,) = pairs(rendered, path)
            assert shown[0] != shown[1] and shown[0] == '"(sensitive)"', (view, shown)
            assert shown[1].startswith('"(sensitive)"'), (view, shown)


def test_golden_files_for_long_values(emu: Emulator, tmp_path: Path) -> None:
    p = long_values(emu, tmp_path)
    for suffix, rendered in (("txt", text.render(p)), ("md", markdown.render(p)),
                             ("json", p.to_json())):
        check_golden(f"long-values.{suffix}", rendered)


# -- drift shows live and spec values the same way -------------------------------------------------

def test_drift_shows_the_part_of_a_long_value_that_differs(emu: Emulator,
                                                           tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, {"group.yaml": GROUP})
    apply(emu, specs)
    by_hand = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ProdReads", "Effect": "Allow",
        "Principal": {"AWS": [*READERS[:2], READERS[2].replace("audit", "auditor")]},
        "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"],
        "Resource": RESOURCE}]}
    aws_for(emu).client("sagemaker").put_model_package_group_policy(
        ModelPackageGroupName="fraud-models", ResourcePolicy=json.dumps(by_hand))
    report = run_drift(emu, specs)
    assert [(i.address, i.drift_class) for i in report.items] == [
        ("ModelPackageGroup.fraud-models", "out_of_band")]
    (path,) = [d.path for d in report.items[0].diff if d.path.endswith(".Principal.AWS")]
    for view, rendered in (("text", drift_text(report)), ("markdown", drift_markdown(report))):
        (shown,) = pairs(rendered, path)
        assert shown[0] != shown[1], (view, shown)
        assert "readers-auditor" in shown[0] and "readers-audit\"" in shown[1], (view, shown)
    assert path == "resourcePolicy.Statement[ProdReads].Principal.AWS"


# -- a plan with errors says so --------------------------------------------------------------------

def test_a_plan_with_errors_never_ends_with_no_changes(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    model = MODEL[:MODEL.index("    environment:")]
    specs = write(tmp_path, {"group.yaml": GROUP, "model.yaml": model})
    converge(emu, plan(emu, specs))
    description = GROUP.replace("Fraud models.", "All fraud models.")
    write(tmp_path, {"group.yaml": description, "model.yaml": model})
    only_errors = plan(emu, specs)
    assert only_errors.resource_changes == [] and len(only_errors.errors) == 1
    assert text.render(only_errors).splitlines()[-1] == \
        "Plan: 1 error, nothing can be applied."
    assert "**Plan: 1 error, nothing can be applied.**" in markdown.render(only_errors)
    assert json.loads(only_errors.to_json())["summary"]["errors"] == 1
    # and a conflict: a group with a spec's name that sagectl does not own
    aws_for(emu).client("sagemaker").create_model_package_group(
        ModelPackageGroupName="other-models")
    write(tmp_path, {"group.yaml": description, "model.yaml": model.replace(OLD_IMAGE, NEW_IMAGE),
                     "other.yaml": GROUP.replace("fraud-models}", "other-models}")})
    both = plan(emu, specs)
    assert [c.address for c in both.resource_changes] == ["Model.llm"]
    assert len(both.errors) == 2
    last = text.render(both).splitlines()[-1]
    assert last == ("Plan: 1 to create, 0 to update, 0 to replace, 0 to delete; 2 errors, "
                    "nothing can be applied.")
    assert f"**{last}**" in markdown.render(both)
    assert json.loads(both.to_json())["summary"]["errors"] == 2


def test_a_plan_without_errors_keeps_its_summary(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, {"group.yaml": GROUP})
    converge(emu, plan(emu, specs))
    p = plan(emu, specs)
    assert text.render(p).splitlines()[-1] == "No changes."
    assert json.loads(p.to_json())["summary"]["errors"] == 0


# -- the pair itself: every difference stays -------------------------------------------------------

def _quoted_middle(before: str, after: str) -> tuple[str, str]:
    """The span of each side's JSON text between the common prefix and suffix."""
    b, a = json.dumps(before, ensure_ascii=False)[1:-1], json.dumps(after,
                                                                    ensure_ascii=False)[1:-1]
    p = 0
    while p < min(len(b), len(a)) and b[p] == a[p]:
        p += 1
    s = 0
    while s < min(len(b), len(a)) - p and b[-1 - s] == a[-1 - s]:
        s += 1
    return b[p:len(b) - s], a[p:len(a) - s]


FRAGMENT = st.text(alphabet="abcxyz0129-_/.:", max_size=16)
"""Short and unescaped: the span between the first and last difference holds no shared run long
enough to elide, so it shows whole."""


@given(st.text(max_size=300), FRAGMENT, FRAGMENT, st.text(max_size=300))
def test_a_shortened_pair_keeps_the_differing_span(prefix: str, old: str, new: str,
                                                   suffix: str) -> None:
    before, after = prefix + old + suffix, prefix + new + suffix
    if before == after:
        return
    b, a = pair(before, after, 60)
    assert b != a
    mid_b, mid_a = _quoted_middle(before, after)
    assert mid_b in b and mid_a in a
    assert len(b) <= 60 and len(a) <= 60


@given(st.lists(st.text(max_size=30), max_size=12), st.integers(0, 11), st.text(max_size=30))
def test_a_shortened_list_keeps_the_changed_item(items: list[str], at: int, new: str) -> None:
    if not items:
        return
    changed = list(items)
    changed[at % len(items)] = new
    if changed == items:
        return
    b, a = pair(items, changed, 120)
    assert b != a
    if len(json.dumps(new, ensure_ascii=False)) < 60:
        assert json.dumps(new, ensure_ascii=False)[1:-1] in a


def test_a_pair_that_renders_alike_says_it_changed() -> None:
    assert pair("(sensitive)", "(sensitive)", 60) == ('"(sensitive)"',
                                                      '"(sensitive)" (changed, not shown)')
    b, a = pair(1, "1", 60)
    assert (b, a) == ("1", '"1"')


def test_an_added_value_is_shown_whole_member_by_member() -> None:
    """Nothing of an added (or removed) value is cut: all of it is new. A long mapping or list
    is shown a member per line; a long string whole."""
    from reconciler.plan.render.values import parts

    pools = [{"instanceType": "ml.g6.2xlarge", "priority": 1},
             {"instanceType": "ml.g5.2xlarge", "priority": 2,
              "modelNameOverride": "chat-g5-1b24e35b"}]
    lines = parts("productionVariants[main].instancePools", pools)
    assert lines == [
        ("productionVariants[main].instancePools[0]",
         '{"instanceType": "ml.g6.2xlarge", "priority": 1}'),
        ("productionVariants[main].instancePools[1]",
         '{"instanceType": "ml.g5.2xlarge", "priority": 2, "modelNameOverride": '
         '"chat-g5-1b24e35b"}')]
    nested = parts("x", {"a": "b" * 100, "c": {"d": "e" * 150}})
    assert nested == [("x.a", '"' + "b" * 100 + '"'), ("x.c.d", '"' + "e" * 150 + '"')]
    assert parts("short", [1, 2]) == [("short", "[1, 2]")]
