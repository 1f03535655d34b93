"""Spec documents for monitoring schedule tests, and a stand-in for the job definition kinds.

Until the definition kinds (branch mm-defs) are merged, ``StandIn`` kinds answer for them: a
spec that names the content-named AWS definition (``awsName``) the test created in the emulator
(``create_definition``), the endpoint it watches and its stopping condition, and a plan that
publishes the ``DefinitionRef`` the schedule kind reads (``kinds/_monitoring.py``), as the real
kinds do. Everything else (validation, plan, apply, drift) is sagectl's own, against the
emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

import pytest
from pydantic import Field

from reconciler.cli.registry import KINDS
from reconciler.contract import Registry, SpecModel
from reconciler.kinds._aws import SageMakerKind
from reconciler.kinds._monitoring import (
    DEFINITION_PLAN_ORDER,
    MONITORING_TYPES,
    DefinitionRef,
    definition_key,
)
from reconciler.kinds.monitoring_schedule.permissions import SM_DEFINITIONS
from reconciler.plan.context import ADDRESS_TAG, ENV_TAG, MANAGED_BY
from reconciler.plan.model import KindPlan
from sagemaker_emulator import Emulator
from tests.emulator.monitoring_helpers import definition as emulator_definition
from tests.plan.helpers import IMAGE, ROLE, aws_for


class StoppingCondition(SpecModel):
    max_runtime_in_seconds: Annotated[int, Field(ge=1, le=86400)]


class StandInSpec(SpecModel):
    aws_name: str
    endpoint_name: str | None = None
    stopping_condition: StoppingCondition | None = None


def stand_in(mtype: str) -> type[SageMakerKind]:
    kind_name = MONITORING_TYPES[mtype]

    class StandIn(SageMakerKind):
        kind = kind_name
        spec_model = StandInSpec
        description = f"test stand-in for {kind_name}"
        plan_order = DEFINITION_PLAN_ORDER
        resource_types = (f"sagemaker:{SM_DEFINITIONS[mtype][1]}",)
        monitoring_type: ClassVar[str] = mtype

        @classmethod
        def plan(cls, ctx: Any, desired: list[Any]) -> KindPlan:
            for r in desired:
                ctx.shared[definition_key(cls.kind, r.name)] = DefinitionRef(
                    cls.kind, r.name, r.spec.aws_name, mtype, r.spec.endpoint_name, False)
            return KindPlan(unchanged=len(desired))

    StandIn.__name__ = f"StandIn{mtype}"
    return StandIn


STAND_INS = Registry([*KINDS.values(), *(stand_in(t) for t in MONITORING_TYPES)])


@pytest.fixture
def kinds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """Plan, apply and validation helpers use the registry with the stand-ins."""
    import tests.apply.helpers
    import tests.plan.helpers

    monkeypatch.setattr(tests.plan.helpers, "KINDS", STAND_INS)
    monkeypatch.setattr(tests.apply.helpers, "KINDS", STAND_INS)
    yield STAND_INS


def create_definition(emu: Emulator, name: str, mtype: str = "DataQuality",
                      endpoint: str = "scorer", owned_by: str | None = "dev",
                      address: str = "DataQualityJobDefinition.dq") -> str:
    """A job definition in the emulator (as the definition kind would create it: tagged)."""
    aws = aws_for(emu)
    try:
        tags = ([{"Key": MANAGED_BY, "Value": "sagectl"}, {"Key": ENV_TAG, "Value": owned_by},
                 {"Key": ADDRESS_TAG, "Value": address}] if owned_by is not None else [])
        extra: dict[str, Any] = {"Tags": tags} if tags else {}
        return emulator_definition(aws.client("sagemaker"), name, mtype, endpoint, **extra)
    finally:
        aws.close()


MODEL = f"""
apiVersion: sagectl/v1
kind: Model
metadata: {{name: scorer-model}}
spec:
  executionRoleArn: {ROLE}
  primaryContainer:
    image: {IMAGE}:1
"""


def endpoint(capture: str = "enableCapture: true") -> str:
    data_capture = f"""
  dataCaptureConfig:
    {capture}
    initialSamplingPercentage: 100
    destinationS3Uri: s3://bucket/capture
    captureOptions: [{{captureMode: Input}}, {{captureMode: Output}}]""" if capture else ""
    return f"""
apiVersion: sagectl/v1
kind: Endpoint
metadata: {{name: scorer}}
spec:
  executionRoleArn: {ROLE}
  productionVariants:
    - variantName: main
      modelName: scorer-model
      instanceType: ml.m5.large
      initialInstanceCount: 1{data_capture}
"""


def definition(name: str = "dq", aws_name: str = "dq-0000aaaa", mtype: str = "DataQuality",
               endpoint_name: str | None = "scorer", runtime: int | None = 1800) -> str:
    lines = [f"  awsName: {aws_name}"]
    if endpoint_name:
        lines.append(f"  endpointName: {endpoint_name}")
    if runtime is not None:
        lines.append(f"  stoppingCondition: {{maxRuntimeInSeconds: {runtime}}}")
    body = "\n".join(lines)
    return f"""
apiVersion: sagectl/v1
kind: {MONITORING_TYPES[mtype]}
metadata: {{name: {name}}}
spec:
{body}
"""


def schedule(name: str = "scorer-dq", expression: str = "cron(0 * ? * * *)",
             job: str = "dq", mtype: str = "DataQuality", status: str | None = None,
             window: str = "", extra: str = "") -> str:
    status_line = f"\n  status: {status}" if status else ""
    return f"""
apiVersion: sagectl/v1
kind: MonitoringSchedule
metadata: {{name: {name}}}
spec:
  monitoringScheduleConfig:
    scheduleConfig:
      scheduleExpression: "{expression}"{window}
    monitoringJobDefinitionName: {job}
    monitoringType: {mtype}{status_line}{extra}
"""


def estate(**more: str) -> dict[str, str]:
    files = {"models/scorer.yaml": MODEL, "endpoints/scorer.yaml": endpoint(),
             "monitoring/dq.yaml": definition(), "monitoring/scorer-dq.yaml": schedule()}
    files.update(more)
    return {k: v for k, v in files.items() if v}
