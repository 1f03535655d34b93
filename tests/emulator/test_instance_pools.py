"""Instance pools on production variants (heterogeneous endpoints), at the boto3 level
(sagemaker-rules.md rule 54)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.components_helpers import component, ic_status, spec
from tests.emulator.helpers import ROLE, config, endpoint, error_code, model, status
from tests.emulator.test_rules_hosting import _falls_back_to_all_at_once

POOLS = [{"InstanceType": "ml.g6.2xlarge", "Priority": 1},
         {"InstanceType": "ml.g5.2xlarge", "Priority": 2}]


def pooled(count: int = 2, pools: list[dict[str, Any]] | None = None, **extra: Any
           ) -> dict[str, Any]:
    return {"VariantName": "main", "ModelName": "m1", "InitialInstanceCount": count,
            "InstancePools": POOLS if pools is None else pools, **extra}


def summary(sm: Any, name: str = "ep") -> list[dict[str, Any]]:
    return sm.describe_endpoint(EndpointName=name)["ProductionVariants"][0]["InstancePools"]


def test_rule_54_instances_come_from_the_highest_priority_pool(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    # listed out of order: priority decides, not the list
    config(sm, "c1", pooled(pools=list(reversed(POOLS))))
    endpoint(emu, sm)
    assert summary(sm) == [{"InstanceType": "ml.g6.2xlarge", "CurrentInstanceCount": 2},
                           {"InstanceType": "ml.g5.2xlarge", "CurrentInstanceCount": 0}]
    cfg = sm.describe_endpoint_config(EndpointConfigName="c1")["ProductionVariants"][0]
    assert "InstanceType" not in cfg and len(cfg["InstancePools"]) == 2


def test_rule_54_insufficient_capacity_falls_back_to_the_next_pool(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1", pooled(count=3))
    emu.set_capacity_unavailable(["ml.g6.2xlarge"])
    endpoint(emu, sm)
    assert summary(sm) == [{"InstanceType": "ml.g6.2xlarge", "CurrentInstanceCount": 0},
                           {"InstanceType": "ml.g5.2xlarge", "CurrentInstanceCount": 3}]


def test_rule_54_no_capacity_in_any_pool_fails_the_deployment(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    config(sm, "c1", pooled())
    config(sm, "single", {"VariantName": "main", "ModelName": "m1",
                          "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1})
    emu.set_capacity_unavailable(["ml.g6.2xlarge", "ml.g5.2xlarge"])
    endpoint(emu, sm, in_service=False)
    endpoint(emu, sm, name="one", config_name="single", in_service=False)
    emu.advance(emu.durations.create)
    for name, wording in (("ep", "in any of its instance pools"), ("one", "ml.g5.2xlarge")):
        out = sm.describe_endpoint(EndpointName=name)
        assert out["EndpointStatus"] == "Failed"
        assert "Insufficient capacity" in out["FailureReason"] and wording in out["FailureReason"]
    emu.set_capacity_unavailable()  # capacity is back: a new endpoint gets its instances
    endpoint(emu, sm, name="later")
    assert status(sm, "later") == "InService"


@pytest.mark.parametrize(("variant", "wanted"), [
    (pooled(InstanceType="ml.g5.2xlarge"), "not both"),
    (pooled(pools=[{"InstanceType": "ml.g5.2xlarge", "Priority": p} for p in range(1, 7)]),
     "length between 1 and 5"),
    (pooled(pools=[{"InstanceType": "ml.g5.2xlarge", "Priority": 6}]), "between 1 and 5"),
    (pooled(pools=[{"InstanceType": "ml.g99.huge", "Priority": 1}]), "enum value set"),
    (pooled(pools=[{"InstanceType": "ml.g5.2xlarge", "Priority": 1,
                    "ModelNameOverride": "absent"}]), "Could not find model"),
    ({"VariantName": "main", "ModelName": "m1", "InstancePools": POOLS,
      "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}}, "InstancePools"),
])
def test_rule_54_pool_limits_are_refused(emu: Emulator, variant: dict[str, Any], wanted: str
                                         ) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    with pytest.raises(ClientError) as err:
        config(sm, "bad", variant)
    assert error_code(err.value) == "ValidationException"
    assert wanted in str(err.value)


def test_rule_54_a_model_override_must_exist_and_is_kept(emu: Emulator) -> None:
    sm = emu.client("sagemaker")
    model(sm)
    model(sm, "m1-g5")
    pools = [POOLS[0], {**POOLS[1], "ModelNameOverride": "m1-g5"}]
    config(sm, "c1", pooled(pools=pools))
    got = sm.describe_endpoint_config(EndpointConfigName="c1")["ProductionVariants"][0]
    assert got["InstancePools"][1]["ModelNameOverride"] == "m1-g5"


def test_rule_54_components_are_placed_on_the_provisioned_type(emu: Emulator) -> None:
    """Copies need 4 GPUs: ml.g5.12xlarge has 4, ml.g5.2xlarge 1. With the 12xlarge pool out
    of capacity the variant runs on the 2xlarge, where no copy fits."""
    sm = emu.client("sagemaker")
    variant = {"VariantName": "main", "InitialInstanceCount": 1,
               "InstancePools": [{"InstanceType": "ml.g5.12xlarge", "Priority": 1},
                                 {"InstanceType": "ml.g5.2xlarge", "Priority": 2}]}
    for name, unavailable in (("big", []), ("small", ["ml.g5.12xlarge"])):
        emu.set_capacity_unavailable(unavailable)
        sm.create_endpoint_config(EndpointConfigName=f"{name}-c", ExecutionRoleArn=ROLE,
                                  ProductionVariants=[variant])
        endpoint(emu, sm, name=name, config_name=f"{name}-c")
        component(sm, f"{name}-ic", endpoint=name, specification=spec(gpus=4))
        emu.advance(emu.durations.component_create)
    assert ic_status(sm, "big-ic") == "InService"
    assert ic_status(sm, "small-ic") == "Failed"
    reason = sm.describe_inference_component(InferenceComponentName="small-ic")["FailureReason"]
    assert "ml.g5.2xlarge" in reason


def test_rule_54_an_inf1_pool_excludes_guardrails(emu: Emulator) -> None:
    """AWS excludes endpoints on Inf1 instances from guardrails; a pool of Inf1 type may
    provision them, so the canary runs all at once (the conservative reading)."""
    sm = emu.client("sagemaker")
    model(sm)
    model(sm, "m2")
    pools = [POOLS[0], {"InstanceType": "ml.inf1.xlarge", "Priority": 2}]
    config(sm, "c1", pooled(count=4, pools=pools))
    config(sm, "c2", pooled(count=4, pools=pools, ModelName="m2"))
    endpoint(emu, sm)
    _falls_back_to_all_at_once(emu, sm)
