"""Importing this module registers every emulated service's handlers and patches."""

from reconciler.emulator import autoscaling, cloudwatch, tagging  # noqa: F401
from reconciler.emulator.sagemaker import api, registry, tags  # noqa: F401
