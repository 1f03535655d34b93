"""The one place the kinds are assembled into the registry the stages are handed.

Adding a kind is adding its package under ``reconciler/kinds/`` and one line here (see
docs/adding-a-kind.md). The order is the order errors and the JSON Schema list the kinds.
"""

from __future__ import annotations

from reconciler.contract import Registry
from reconciler.kinds.alarm import AlarmKind
from reconciler.kinds.approval_trigger import ApprovalTriggerKind
from reconciler.kinds.endpoint import EndpointKind
from reconciler.kinds.inference_component import InferenceComponentKind
from reconciler.kinds.model import ModelKind
from reconciler.kinds.model_package_group import ModelPackageGroupKind
from reconciler.kinds.monitoring_job import KINDS as MONITORING_JOB_KINDS
from reconciler.kinds.monitoring_schedule import MonitoringScheduleKind
from reconciler.kinds.pipeline import PipelineKind

KINDS = Registry([ModelPackageGroupKind, ModelKind, AlarmKind, EndpointKind,
                  InferenceComponentKind, PipelineKind, *MONITORING_JOB_KINDS,
                  MonitoringScheduleKind, ApprovalTriggerKind])
