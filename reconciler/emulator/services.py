"""Importing this module registers every emulated service's handlers and patches."""

from reconciler.emulator import (  # noqa: F401
    app_autoscaling,
    app_autoscaling_scheduled,
    cloudwatch,
    metric_evaluation,
    quotas,
    tagging_api,
    triggers,
)
from reconciler.emulator.sagemaker import (  # noqa: F401
    api,
    endpoints,
    pipeline_executions,
    pipelines,
    registry,
    tags,
)
