"""Emulated SageMaker: hosting (models, endpoint configs, endpoints) and pipelines (definitions,
versions, executions on the simulated clock) served by the emulator, the model registry by moto
with fixes (group policies added), tags for all of them."""
