"""Sensitive pipeline parameters (``sensitiveParameters``): where their values are hidden.

A sensitive parameter's value travels in many places: the spec's ``parameters`` (and those of
``schedule`` and ``startOnChange``), the definition's ``Parameters[].DefaultValue``, the
StartPipelineExecution request, the schedule's or rule's target, and the undo of each step that
restores what was read (a previous definition, a schedule's target). In a plan every one of them
shows ``(sensitive)`` (diffs, step and undo parameters, summary lines); the full requests stay in
memory (``Step.request``, ``Undo.request``) for apply. Every digest that covers them (request
digests, fingerprints, the ownership tag, client request tokens, the S3 key of an uploaded
definition) is keyed with the environment's digest key (``PlanContext.digest_for``).
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.kinds.pipeline.spec import PipelineSpec
from reconciler.plan.context import PlanContext
from reconciler.plan.model import SENSITIVE, Step


def names(spec: PipelineSpec) -> frozenset[str]:
    return frozenset(spec.sensitive_parameters)


def diff_paths(secret: frozenset[str]) -> tuple[str, ...]:
    """Paths ``diff`` redacts, in the canonical fields and the canonical schedule."""
    if not secret:
        return ()
    paths = ["pipelineDefinition.(not JSON)"]  # a live definition that does not parse
    for name in sorted(secret):
        paths += [f"pipelineDefinition.Parameters[{name}].DefaultValue",
                  f"schedule.parameters.{name}"]
    return tuple(paths)


def shown(values: dict[str, Any], secret: frozenset[str]) -> dict[str, Any]:
    """Parameter values as a plan may show them."""
    return {k: SENSITIVE if k in secret else v for k, v in values.items()}


def hide(value: Any, secret: frozenset[str]) -> Any:
    """``value`` (a request) with every sensitive parameter value replaced by ``(sensitive)``:
    ``{Name, Value}`` pairs (execution and target parameters), ``{Name, DefaultValue}`` (the
    definition's parameters), also inside a ``PipelineDefinition`` JSON text."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "PipelineDefinition" and isinstance(item, str):
                out[key] = _hide_text(item, secret)
            else:
                out[key] = hide(item, secret)
        if out.get("Name") in secret:
            for key in ("Value", "DefaultValue"):
                if key in out:
                    out[key] = SENSITIVE
        return out
    if isinstance(value, list):
        return [hide(item, secret) for item in value]
    return value


def _hide_text(text: str, secret: frozenset[str]) -> str:
    try:
        parsed = json.loads(text)
    except ValueError:
        return f"(a definition that is not JSON: {len(text.encode()):,} bytes)"
    hidden = hide(parsed, secret)
    return text if hidden == parsed else json.dumps(hidden, sort_keys=True,
                                                   separators=(",", ":"))


def seal(ctx: PlanContext, steps: list[Step], secret: frozenset[str]) -> list[Step]:
    """The steps of a pipeline with sensitive parameters: values hidden in what is shown (the
    full request kept in memory), request digests keyed."""
    if not secret:
        return steps
    for step in steps:
        request = step.request if step.request is not None else step.params
        hidden = hide(step.params, secret)
        if hidden != step.params:
            step.request, step.params = request, hidden
        if step.request_digest:
            step.request_digest = ctx.sensitive_digest(request)
    return hide_undo(steps, secret)


def hide_undo(steps: list[Step], secret: frozenset[str]) -> list[Step]:
    """The steps with sensitive values hidden in their undo (the full requests kept in
    memory)."""
    for step in steps:
        for undo in step.undo:
            hidden = hide(undo.params, secret)
            if hidden != undo.params:
                undo.request = undo.request if undo.request is not None else undo.params
                undo.params = hidden
    return steps
