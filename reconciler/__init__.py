"""sagectl: GitOps for Amazon SageMaker (import name ``reconciler``)."""

__version__ = "0.1.0"
