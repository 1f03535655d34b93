"""The spec stage: YAML with positions, environments, validation and JSON Schema export.

Use ``reconciler.spec.load.load_specs`` (one environment) or ``validate`` (all of them).
"""
