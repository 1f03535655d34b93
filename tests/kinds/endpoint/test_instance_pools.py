"""`instancePools` on endpoint variants (heterogeneous endpoints, sagemaker-rules.md rule 54):
checked before AWS, applied with each pool's model resolved to its content name, planned clean,
imported back, and every part of sagectl that reasons about an instance type (guardrail
exclusions, quotas, the capacity fit of inference components) told about every pool."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.plan.render import text
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.importer.test_import import sagectl
from tests.plan.helpers import IMAGE, ROLE, aws_for, one, ops, plan, write

Cli = Callable[..., tuple[int, str, str]]
REGION, ACCOUNT = "eu-west-1", "111111111111"


def model(name: str, tag: str = "1") -> str:
    return f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: {name}}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    image: {IMAGE}:{tag}
"""


POOLED = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: chat}
spec:
  productionVariants:
    - variantName: main
      modelName: chat-g6
      initialInstanceCount: 2
      instancePools:
        - {instanceType: ml.g6.2xlarge, priority: 1}
        - {instanceType: ml.g5.2xlarge, priority: 2, modelNameOverride: chat-g5}
      variantInstanceProvisionTimeoutInSeconds: 600
"""
FILES = {"chat.yaml": POOLED, "g6.yaml": model("chat-g6"), "g5.yaml": model("chat-g5", "g5")}


def config_of(emu: Emulator, endpoint: str = "chat") -> dict[str, Any]:
    aws = aws_for(emu, concurrency=1)
    try:
        sm = aws.client("sagemaker")
        name = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        return sm.describe_endpoint_config(  # type: ignore[no-any-return]
            EndpointConfigName=name)
    finally:
        aws.close()


def described(emu: Emulator, endpoint: str = "chat") -> dict[str, Any]:
    aws = aws_for(emu, concurrency=1)
    try:
        return aws.client("sagemaker").describe_endpoint(  # type: ignore[no-any-return]
            EndpointName=endpoint)
    finally:
        aws.close()


def test_pools_apply_with_resolved_models_and_plan_clean(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, FILES)
    first = plan(emu, specs)
    change = one(first, "Endpoint.chat")
    # the override's Model is created before the config that names it
    assert change.depends_on == ["Model.chat-g5", "Model.chat-g6"]
    assert ("creates endpoint chat (main 2 x ml.g6.2xlarge (or ml.g5.2xlarge on insufficient "
            "capacity))") in "\n".join(change.consequences["summary"])
    shown = text.render(first)  # nothing of the pools is cut from the plan a reviewer reads
    assert '+ productionVariants[main].instancePools[1] = {"instanceType": "ml.g5.2xlarge", ' \
        '"priority": 2, "modelNameOverride": "chat-g5-' in shown, shown
    apply(emu, specs)
    variant = config_of(emu)["ProductionVariants"][0]
    assert "InstanceType" not in variant
    pools = variant["InstancePools"]
    assert [(p["InstanceType"], p["Priority"]) for p in pools] == [("ml.g6.2xlarge", 1),
                                                                   ("ml.g5.2xlarge", 2)]
    assert pools[1]["ModelNameOverride"].startswith("chat-g5-")  # the content name
    assert variant["ModelName"].startswith("chat-g6-")
    assert described(emu)["ProductionVariants"][0]["InstancePools"] == [
        {"InstanceType": "ml.g6.2xlarge", "CurrentInstanceCount": 2},
        {"InstanceType": "ml.g5.2xlarge", "CurrentInstanceCount": 0}]
    assert plan(emu, specs).resource_changes == []


def test_a_fallback_on_insufficient_capacity_is_not_drift(emu: Emulator, tmp_path: Path) -> None:
    """SageMaker put the instances on the second pool: the config is what the spec says, so
    nothing changes."""
    emu.set_capacity_unavailable(["ml.g6.2xlarge"])
    specs = write(tmp_path, FILES)
    apply(emu, specs)
    assert described(emu)["ProductionVariants"][0]["InstancePools"][1] == {
        "InstanceType": "ml.g5.2xlarge", "CurrentInstanceCount": 2}
    assert plan(emu, specs).resource_changes == []


def test_a_new_pool_model_or_priority_is_a_new_config(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, FILES)
    apply(emu, specs)
    write(tmp_path, {**FILES, "g5.yaml": model("chat-g5", "g5-2")})
    change = one(plan(emu, specs), "Endpoint.chat")
    assert ops(change)[:2] == ["sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint"]
    paths = {e.path for e in change.diff}
    assert paths == {"productionVariants[main].instancePools[1].modelNameOverride"}, paths
    apply(emu, specs)
    pools = config_of(emu)["ProductionVariants"][0]["InstancePools"]
    write(tmp_path, {**FILES, "g5.yaml": model("chat-g5", "g5-2"),
                     "chat.yaml": POOLED.replace("priority: 2", "priority: 3")})
    change = one(plan(emu, specs), "Endpoint.chat")
    assert "sagemaker:UpdateEndpoint" in ops(change)
    apply(emu, specs)
    assert config_of(emu)["ProductionVariants"][0]["InstancePools"][1] == {
        **pools[1], "Priority": 3}
    assert plan(emu, specs).resource_changes == []


def test_an_inf1_pool_means_no_guardrails(tmp_path: Path) -> None:
    canary = POOLED.replace("ml.g5.2xlarge, priority: 2, modelNameOverride: chat-g5",
                            "ml.inf1.xlarge, priority: 2") + """  deploymentConfig:
    blueGreenUpdatePolicy:
      trafficRoutingConfiguration:
        type: CANARY
        canarySize: {type: INSTANCE_COUNT, value: 1}
        waitIntervalInSeconds: 300
"""
    specs = write(tmp_path, {"chat.yaml": canary, "g6.yaml": model("chat-g6")})
    errors = [(d.path, d.message) for d in load_specs(specs, KINDS, "dev").report.errors]
    assert any(p.endswith("trafficRoutingConfiguration.type") and
               "variant 'main' runs on ml.inf1.xlarge (Inf1) (one of its instance pools); AWS "
               "runs no deployment guardrails there" in m for p, m in errors), errors


def test_the_quota_warning_counts_the_first_pool(emu: Emulator, tmp_path: Path) -> None:
    emu.set_quota("ml.g6.2xlarge", 1, region=REGION, account=ACCOUNT)
    specs = write(tmp_path, FILES)
    warnings = [p.message for p in plan(emu, specs).problems if p.severity == "warning"]
    assert any("runs 2 x ml.g6.2xlarge (0 running + 2 new)" in w for w in warnings), warnings


def test_import_round_trip_with_pools(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    aws = aws_for(emu)
    sm = aws.client("sagemaker")
    for name in ("by-hand-g6", "by-hand-g5"):
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                        PrimaryContainer={"Image": f"{IMAGE}:{name}"})
    sm.create_endpoint_config(EndpointConfigName="by-hand", ProductionVariants=[{
        "VariantName": "main", "ModelName": "by-hand-g6", "InitialInstanceCount": 1,
        "InstancePools": [{"InstanceType": "ml.g6.2xlarge", "Priority": 1},
                          {"InstanceType": "ml.g5.2xlarge", "Priority": 2,
                           "ModelNameOverride": "by-hand-g5"}]}])
    sm.create_endpoint(EndpointName="chat", EndpointConfigName="by-hand")
    aws.close()
    emu.advance(100_000)
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", "chat", str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    text = (specs / "imported" / "chat.yaml").read_text()
    for expected in ("instancePools:", "modelNameOverride: by-hand-g5",
                     "kind: Model\nmetadata:\n  name: by-hand-g5"):
        assert expected in text, (expected, text)
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev", "--detailed-exitcode")
    assert (code, out.splitlines()[-1]) == (0, "No changes."), out + err


RULES = [
    # (what to replace in POOLED, with what, field path, message fragment)
    ("      initialInstanceCount: 2\n",
     "      initialInstanceCount: 2\n      instanceType: ml.g6.2xlarge\n",
     "spec.productionVariants[0].instanceType", "`instancePools` replaces `instanceType`"),
    ("priority: 2", "priority: 1", "spec.productionVariants[0].instancePools[1].priority",
     "priority 1 is also pool 1's"),
    ("ml.g5.2xlarge, priority: 2", "ml.g6.2xlarge, priority: 2",
     "spec.productionVariants[0].instancePools[1].instanceType",
     "ml.g6.2xlarge is already pool 1"),
    ("ml.g5.2xlarge, priority: 2", "ml.g5.2xlarg, priority: 2",
     "spec.productionVariants[0].instancePools[1].instanceType", "ml.g5.2xlarge"),
    ("priority: 2", "priority: 6", "spec.productionVariants[0].instancePools[1].priority",
     "at most 5"),
    ("modelNameOverride: chat-g5", "modelNameOverride: absent",
     "spec.productionVariants[0].instancePools[1].modelNameOverride",
     "model 'absent' is not defined in the specs"),
    ("      modelName: chat-g6\n", "",
     "spec.productionVariants[0].instancePools[1].modelNameOverride",
     "a variant without a model hosts inference components"),
    ("        - {instanceType: ml.g6.2xlarge, priority: 1}\n",
     "".join(f"        - {{instanceType: ml.{t}, priority: {i % 5 + 1}}}\n"
             for i, t in enumerate(["g6.xlarge", "g6.4xlarge", "g6.8xlarge", "g6.12xlarge",
                                    "g6.16xlarge"])),
     "spec.productionVariants[0].instancePools", "at most 5"),
    ("ml.g5.2xlarge, priority: 2", "ml.t2.medium, priority: 2",
     "spec.productionVariants[0].instancePools", "ml.t2.medium is a burstable instance type"),
]


@pytest.mark.parametrize(("old", "new", "path", "fragment"), RULES,
                         ids=[str(i) for i in range(len(RULES))])
def test_pool_rules_are_located_errors(tmp_path: Path, old: str, new: str, path: str,
                                       fragment: str) -> None:
    text = POOLED
    if "burstable" in fragment:
        text = text.replace("      variantInstanceProvisionTimeoutInSeconds: 600\n",
                            "      autoscaling:\n        minCapacity: 1\n        maxCapacity: 4\n"
                            "        scalingPolicies: []\n")
    assert old in text
    specs = write(tmp_path, {**FILES, "chat.yaml": text.replace(old, new)})
    loaded = load_specs(specs, KINDS, "dev")
    found = [(d.path, d.message) for d in loaded.report.errors]
    assert any(p == path and fragment in m for p, m in found), found

