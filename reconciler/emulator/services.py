"""Importing this module registers every emulated service's handlers and patches."""

from reconciler.emulator import (  # noqa: F401
    app_autoscaling,
    cloudwatch,
    metric_evaluation,
    tagging_api,
)
from reconciler.emulator.sagemaker import api, endpoints, registry, tags  # noqa: F401
