"""Least-privilege IAM policies for running sagectl (``sagectl iam-policy``).

- ``tables.py``: the vocabulary (scopes, operations, implied permissions) and the engine's own
  operations; each kind declares its own (``Kind.permissions``, ``Kind.policy_resources``), and
  ``assemble`` makes the tables of a registry. **Extend the kind** when it adds an operation.
- ``policy.py``: the policy document for a mode (``plan`` read-only, ``apply`` everything),
  scoped by the environment's account and region and the roles and buckets of the specs.
- ``check.py``: an IAM action matcher and the coverage check the test suite runs over every
  operation it sees sagectl make (tests/iam_coverage.py).
"""

from __future__ import annotations

import importlib
from typing import Any

# Names re-exported lazily (PEP 562): kinds import ``reconciler.iam.tables`` at start-up, and
# loading the policy builder with it would cost every command, ``validate`` included.
_WHERE = {
    "Gap": "check", "action_matches": "check", "allows": "check", "coverage_gaps": "check",
    "policy_actions": "check",
    "MODES": "policy", "IamPolicyError": "policy", "PolicyContext": "policy",
    "build_policy": "policy", "granted": "policy", "policy_context": "policy",
    "CORE": "tables", "Permissions": "tables", "assemble": "tables", "iam_action": "tables",
    "is_read": "tables",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
