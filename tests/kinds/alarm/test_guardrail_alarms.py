"""Guardrail alarms on the emulator behave as CloudWatch's do (sagemaker-rules.md rule 25), so the
example estate bakes to a conclusion with nobody touching an alarm state: its alarms treat
missing data as not breaching, and an endpoint without errors has OK alarms by itself."""

from __future__ import annotations

from pathlib import Path

import yaml

from reconciler.apply.context import APPLIED
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, statuses
from tests.plan.helpers import aws_for

ENV = yaml.safe_load((Path(__file__).resolve().parents[3] / "specs" / "environments" /
                      "dev.yaml").read_text(encoding="utf-8"))["spec"]
REGION, ACCOUNT = ENV["region"], ENV["accountId"]


def test_rule_25_the_example_estate_deploys_and_bakes_without_touching_an_alarm(
        emu: Emulator, examples_copy: Path) -> None:
    specs = examples_copy
    first = apply(emu, specs)
    assert statuses(first)["Endpoint.fraud-scorer"] == "waiting"  # no approved model yet
    aws = aws_for(emu)
    try:
        aws.client("sagemaker").create_model_package(  # a reviewer approves a version
            ModelPackageGroupName="fraud-models", ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/scorer:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"]})
        assert set(statuses(apply(emu, specs)).values()) == {APPLIED}

        endpoint = specs / "endpoints" / "fraud-scorer.yaml"
        text = endpoint.read_text(encoding="utf-8")
        assert "xgboost-inference:1.7-1" in text
        endpoint.write_text(text.replace("xgboost-inference:1.7-1", "xgboost-inference:1.7-2"),
                            encoding="utf-8")
        deploy = apply(emu, specs)
        change = {c.address: c for c in deploy.plan.resource_changes}["Endpoint.fraud-scorer"]
        bake = next(s for s in change.steps if s.op == "sagectl:bake")
        assert bake.params["seconds"] == 120 and not bake.params["allowInsufficientData"]
        outcome = {o.address: o for o in deploy.result.outcomes}[  # type: ignore[union-attr]
            "Endpoint.fraud-scorer"]
        assert outcome.status == APPLIED, outcome  # the bake concluded: the alarms were OK

        alarms = aws.client("cloudwatch").describe_alarms(
            AlarmNames=bake.params["alarms"])["MetricAlarms"]
        assert sorted(a["AlarmName"] for a in alarms) == ["fraud-scorer-5xx-errors",
                                                          "fraud-scorer-p99-latency"]
        for alarm in alarms:  # evaluated, never set
            assert alarm["StateValue"] == "OK", alarm
            assert alarm["StateReason"].startswith("Threshold Crossed: no datapoints were "
                                                   "received"), alarm
        assert emu.calls[("cloudwatch", "SetAlarmState")] == 0
    finally:
        aws.close()
