"""Emulated SageMaker: hosting (models, endpoint configs, endpoints) served by the emulator, the
registry and pipelines by moto with fixes, tags for all of them."""
