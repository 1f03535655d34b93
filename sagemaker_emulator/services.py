"""Importing this module registers every emulated service's handlers and patches."""

from sagemaker_emulator import (  # noqa: F401
    app_autoscaling,
    app_autoscaling_scheduled,
    cloudwatch,
    event_api_destinations,
    event_connections,
    event_delivery,
    metric_evaluation,
    quotas,
    secretsmanager,
    sts,
    tagging_api,
    triggers,
)
from sagemaker_emulator.sagemaker import (  # noqa: F401
    api,
    components,
    endpoints,
    monitoring,
    monitoring_definitions,
    monitoring_executions,
    package_events,
    pipeline_executions,
    pipelines,
    registry,
    tags,
)
