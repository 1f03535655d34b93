"""Every step of a plan carries its undo, planned by its kind from what was read, or says why it
has none (``Step.undo``, ``Step.irreversible``; issue 14, seam 3): over every change the example
estate's plans make in dev and in prod, from an empty account through updates of every kind to
deletions (pruning) and a replacement. Undo is part of the JSON plan, survives a saved plan, and
a saved plan whose undo no longer matches what is live is refused as stale.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.state import DEFAULT_TABLE
from reconciler.cli.registry import KINDS
from reconciler.plan.context import PlanOptions
from reconciler.plan.digest_key import read_key
from reconciler.plan.model import Plan
from reconciler.plan.planner import make_plan
from reconciler.plan.saved import plan_from_dict
from reconciler.plan.stale import DIFFERS, STALE, stale
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.plan.helpers import aws_for, converge, one, store_test_key

READ_ONLY = {"sagectl:wait", "sagectl:verify", "sagectl:bake", "sagectl:wait-pipeline-execution"}
"""Steps that change nothing in AWS: neither an undo nor a reason."""
ACCOUNTS = {"dev": "111111111111", "prod": "222222222222"}
VARIABLES = {  # environment variable -> (dev, prod) values after the change
    "fraudInstanceType": ("ml.m5.xlarge", "ml.c6i.4xlarge"),  # autoscaled: deregistered first
    "fraudMaxInstances": (5, 24),
    "embeddingsInstanceCount": (2, 3),
}


def plan_in(emu: Emulator, specs: Path, env: str) -> Plan:
    """A plan of ``specs`` for ``env`` in its own account, pruning on."""
    loaded = load_specs(specs, KINDS, env)
    assert loaded.ok, [d.text() for d in loaded.report.errors]
    aws = aws_for(emu, ACCOUNTS[env])
    try:
        store_test_key(aws, env)
        key = read_key(aws, DEFAULT_TABLE, env)
        assert key is not None
        made = make_plan(loaded, aws, specs.parent, PlanOptions(prune=True,
                                                                digest_key=lambda: key))
    finally:
        aws.close()
    assert not made.errors, made.errors
    return made


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def approve_a_version(emu: Emulator, env: str) -> None:
    aws = aws_for(emu, ACCOUNTS[env])
    try:
        aws.client("sagemaker").create_model_package(
            ModelPackageGroupName="fraud-models", ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [{"Image": f"{ACCOUNTS[env]}.dkr.ecr.eu-west-1.amazonaws.com/"
                                         "scorer:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"]})
    finally:
        aws.close()


def change_everything(specs: Path, env: str) -> None:
    """An update of every kind: a new model deployed with the autoscaled variant's instance type
    changed, autoscaling limits, a count, serverless concurrency, tags of every kind, an alarm's
    threshold, a pipeline's definition and its schedule moved to an EventBridge rule, the
    registry's policy."""
    column = 0 if env == "dev" else 1
    environment = specs / "environments" / f"{env}.yaml"
    for name, values in VARIABLES.items():
        lines = environment.read_text(encoding="utf-8").splitlines(keepends=True)
        (i,) = [i for i, line in enumerate(lines) if line.strip().startswith(f"{name}:")]
        lines[i] = f"{lines[i].split(':')[0]}: {values[column]}\n"
        environment.write_text("".join(lines), encoding="utf-8")
    scorer = specs / "endpoints" / "fraud-scorer.yaml"
    edit(scorer, "xgboost-inference:1.7-1", "xgboost-inference:1.7-2")
    edit(scorer, "  threshold: 5\n", "  threshold: 10\n")
    scorer.write_text(scorer.read_text(encoding="utf-8") + "  tags:\n    team: fraud\n",
                      encoding="utf-8")
    classifier = specs / "endpoints" / "doc-classifier.yaml"
    edit(classifier, "maxConcurrency: 10", "maxConcurrency: 20")
    edit(classifier, "  tags:\n    team: documents", "  tags:\n    team: docs")
    edit(specs / "endpoints" / "embeddings-async.yaml", "  tags:\n    team: search",
         "  tags:\n    team: search\n    cost-center: \"4712\"")
    pipeline = specs / "pipelines" / "fraud-training.yaml"
    edit(pipeline, "    scheduleExpressionTimezone: Europe/Berlin\n",
         "    type: EventBridgeRule\n")
    edit(pipeline, "  tags:\n    team: fraud", "  tags:\n    team: fraud\n    owner: ml")
    definition = specs / "pipelines" / "fraud-training.definition.json"
    data = json.loads(definition.read_text(encoding="utf-8"))
    data["Parameters"].append({"Name": "Note", "Type": "String", "DefaultValue": "undo"})
    definition.write_text(json.dumps(data, indent=2), encoding="utf-8")
    registry = specs / "registry" / "fraud-models.yaml"
    edit(registry, "          - sagemaker:ListModelPackages\n",
         "          - sagemaker:ListModelPackages\n          - sagemaker:DescribeModelPackageGroup\n")
    edit(registry, 'cost-center: "4711"', 'cost-center: "4712"')


def delete_and_replace(specs: Path, env: str) -> None:
    """Pruned: the pipeline (and its rule), the registry group, the serverless endpoint and its
    model, a guardrail alarm (now external); the asynchronous endpoint loses its asynchronous
    inference, which takes a replacement."""
    (specs / "pipelines" / "fraud-training.yaml").unlink()
    environment = specs / "environments" / f"{env}.yaml"
    text = environment.read_text(encoding="utf-8")
    if "    - kind: Pipeline\n" in text:  # its override goes with it
        environment.write_text(text[:text.index("    - kind: Pipeline\n")], encoding="utf-8")
    (specs / "registry" / "fraud-models.yaml").unlink()
    (specs / "endpoints" / "doc-classifier.yaml").unlink()
    scorer = specs / "endpoints" / "fraud-scorer.yaml"
    text = scorer.read_text(encoding="utf-8")
    scorer.write_text(text[:text.rindex("---\n")].replace(
        "        - alarmName: fraud-scorer-p99-latency\n",
        "        - alarmName: fraud-scorer-p99-latency\n          external: true\n"),
        encoding="utf-8")
    embeddings = specs / "endpoints" / "embeddings-async.yaml"
    text = embeddings.read_text(encoding="utf-8")
    start, end = text.index("  asyncInferenceConfig:"), text.index("  tags:")
    embeddings.write_text(text[:start] + "  allowReplacement: true\n" + text[end:],
                          encoding="utf-8")


def undo_of_every_step(p: Plan) -> dict[str, list[dict[str, Any]]]:
    """Check every step of ``p``: op -> its undo as saved, one entry per step."""
    found: dict[str, list[dict[str, Any]]] = {}
    data = json.loads(p.to_json())
    for change in data["resource_changes"]:
        for i, step in enumerate(change["steps"]):
            where = f"{change['address']} steps[{i}] {step['op']}"
            if step["op"] in READ_ONLY:
                assert step["undo"] == [] and step["irreversible"] == "", where
            else:
                assert bool(step["undo"]) != bool(step["irreversible"]), where
                for undo in step["undo"]:
                    assert not undo["op"].startswith("sagectl:") and undo["note"], where
                    assert undo["target"] and undo["params"], where
            found.setdefault(step["op"], []).append(step)
    return found


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_step_of_the_example_estate_has_its_undo_or_says_why_not(
        emu: Emulator, examples_copy: Path, env: str) -> None:
    emu.freeze()
    specs = examples_copy
    account = ACCOUNTS[env]
    seen: dict[str, list[dict[str, Any]]] = {}
    actions: set[tuple[str, ...]] = set()

    def check(p: Plan) -> Plan:
        for op, steps in undo_of_every_step(p).items():
            seen.setdefault(op, []).extend(steps)
        actions.update(tuple(c.actions) for c in p.resource_changes)
        saved = plan_from_dict(json.loads(p.to_json()), KINDS)  # undo survives a saved plan
        assert saved.to_json() == p.to_json()
        assert [s.undo for c in saved.resource_changes for s in c.steps] == \
            [s.undo for c in p.resource_changes for s in c.steps]
        assert stale(saved, p) == []
        return p

    converge(emu, check(plan_in(emu, specs, env)), account)  # everything new
    approve_a_version(emu, env)
    converge(emu, check(plan_in(emu, specs, env)), account)  # the registry-backed challenger
    assert plan_in(emu, specs, env).resource_changes == []

    change_everything(specs, env)
    updated = check(plan_in(emu, specs, env))
    assert {c.action_reason for c in updated.resource_changes} >= {
        "new_version", "new_config", "serverless_concurrency", "capacity_only", "config_changed",
        "definition_changed", "policy_changed"}
    converge(emu, updated, account)

    delete_and_replace(specs, env)
    check(plan_in(emu, specs, env))

    assert {("create",), ("update",), ("delete",), ("delete", "create")} <= actions
    assert set(seen) >= {
        "sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities",
        "sagemaker:DeleteEndpoint", "sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel",
        "sagemaker:AddTags", "sagemaker:CreateModelPackageGroup",
        "sagemaker:PutModelPackageGroupPolicy", "sagemaker:DeleteModelPackageGroup",
        "sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DeletePipeline",
        "scheduler:CreateSchedule", "scheduler:DeleteSchedule", "events:PutRule",
        "events:PutTargets", "events:RemoveTargets", "events:DeleteRule",
        "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:DeleteAlarms",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy", "sagectl:wait", "sagectl:gc"}, sorted(seen)
    # what the undo restores is what was read
    (restore,) = [s["undo"] for s in seen["sagemaker:UpdateEndpoint"]]
    assert [u["op"] for u in restore] == ["sagemaker:UpdateEndpoint"]
    assert restore[0]["params"]["EndpointConfigName"].startswith("fraud-scorer-")
    alarm = [s["undo"][0]["params"] for s in seen["cloudwatch:PutMetricAlarm"]
             if s["undo"][0]["op"] == "cloudwatch:PutMetricAlarm"]
    assert [a["Threshold"] for a in alarm] == [5.0]  # the previous definition, whole
    assert alarm[0]["AlarmDescription"].startswith("Model errors on the fraud scorer")
    (pipeline,) = [s["undo"][0]["params"] for s in seen["sagemaker:UpdatePipeline"]]
    assert "Note" not in pipeline["PipelineDefinition"]


def test_a_saved_plan_whose_undo_no_longer_matches_live_is_stale(emu: Emulator,
                                                                 examples_copy: Path) -> None:
    emu.freeze()
    specs = examples_copy
    converge(emu, plan_in(emu, specs, "dev"), ACCOUNTS["dev"])
    edit(specs / "endpoints" / "fraud-scorer.yaml", "  threshold: 5\n", "  threshold: 10\n")
    fresh = plan_in(emu, specs, "dev")
    data = json.loads(fresh.to_json())
    change = next(c for c in data["resource_changes"]
                  if c["address"] == "Alarm.fraud-scorer-5xx-errors")
    put = change["steps"][0]
    assert put["op"] == "cloudwatch:PutMetricAlarm"
    assert put["undo"][0]["params"]["Threshold"] == 5.0

    edited = copy.deepcopy(data)
    next(c for c in edited["resource_changes"] if c["address"] == change["address"])[
        "steps"][0]["undo"][0]["params"]["Threshold"] = 7.0
    (moved,) = stale(plan_from_dict(edited, KINDS), fresh)
    assert (moved.address, moved.problem) == ("Alarm.fraud-scorer-5xx-errors", STALE)
    assert moved.why == ("what its undo restores changed since the plan was made: "
                         "steps[0].undo[0].params.Threshold: saved 7.0, fresh plan 5.0")
    # the reason a step is not undone is reviewed like the rest of the step
    reasoned = copy.deepcopy(data)
    next(c for c in reasoned["resource_changes"] if c["address"] == change["address"])[
        "steps"][0]["irreversible"] = "edited"
    (moved,) = stale(plan_from_dict(reasoned, KINDS), fresh)
    assert moved.problem == DIFFERS and "steps[0].irreversible: saved \"edited\"" in moved.why


def test_a_model_create_is_undone_by_deleting_that_model(emu: Emulator,
                                                         examples_copy: Path) -> None:
    created = plan_in(emu, examples_copy, "dev")
    model = one(created, "Model.doc-classifier-v3")
    (step,) = model.steps
    assert [(u.op, u.target, u.params) for u in step.undo] == [
        ("sagemaker:DeleteModel", step.target, {"ModelName": step.target})]
    assert step.irreversible == ""
