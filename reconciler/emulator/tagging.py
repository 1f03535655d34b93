"""Resource Groups Tagging API coverage of SageMaker (placeholder: being implemented)."""
