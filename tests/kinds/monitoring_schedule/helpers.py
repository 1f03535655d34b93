"""Spec documents for monitoring schedule tests: the job definition kinds' estate (a model, an
endpoint that captures data, ``tests/kinds/monitoring_job/helpers.py``), a DataQuality job
definition ``dq`` watching it, and a schedule ``fraud-dq`` running it hourly."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.contract import Registry
from reconciler.plan.context import ADDRESS_TAG, ENV_TAG, MANAGED_BY
from sagemaker_emulator import Emulator
from tests.emulator.monitoring_helpers import definition as emulator_definition
from tests.kinds.monitoring_job.helpers import CAPTURE, ENDPOINT, MODEL
from tests.kinds.monitoring_job.helpers import definition as job_definition
from tests.plan.helpers import aws_for

ADDRESS = "MonitoringSchedule.fraud-dq"


@pytest.fixture
def kinds() -> Registry:
    return KINDS


def sm(emu: Emulator) -> Any:
    return aws_for(emu).client("sagemaker")


def create_definition(emu: Emulator, name: str, mtype: str = "DataQuality",
                      endpoint: str = "fraud", owned_by: str | None = None,
                      address: str = "DataQualityJobDefinition.dq") -> str:
    """A job definition made outside sagectl (unmanaged unless ``owned_by``)."""
    tags = ([{"Key": MANAGED_BY, "Value": "sagectl"}, {"Key": ENV_TAG, "Value": owned_by},
             {"Key": ADDRESS_TAG, "Value": address}] if owned_by is not None else [])
    extra: dict[str, Any] = {"Tags": tags} if tags else {}
    return emulator_definition(sm(emu), name, mtype, endpoint, **extra)


def endpoint(capture: str = CAPTURE) -> str:
    return ENDPOINT % {"capture": capture}


def definition(name: str = "dq", mtype: str = "DataQuality", runtime: int = 1800) -> str:
    return job_definition(mtype, name=name, runtime=runtime)


def schedule(name: str = "fraud-dq", expression: str = "cron(0 * ? * * *)",
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
    files = {"models/fraud-model.yaml": MODEL, "endpoints/fraud.yaml": endpoint(),
             "monitoring/dq.yaml": definition(), "monitoring/fraud-dq.yaml": schedule()}
    files.update(more)
    return {k: v for k, v in files.items() if v}


def running_definition(emu: Emulator, name: str = "fraud-dq") -> str:
    return sm(emu).describe_monitoring_schedule(MonitoringScheduleName=name)[  # type: ignore[no-any-return]
        "MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
