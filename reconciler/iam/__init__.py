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

from reconciler.iam.check import Gap, action_matches, allows, coverage_gaps, policy_actions
from reconciler.iam.policy import (
    MODES,
    IamPolicyError,
    PolicyContext,
    build_policy,
    granted,
    policy_context,
)
from reconciler.iam.tables import CORE, Permissions, assemble, iam_action, is_read

__all__ = [
    "CORE", "MODES", "Gap", "IamPolicyError", "Permissions", "PolicyContext", "action_matches",
    "allows", "assemble", "build_policy", "coverage_gaps", "granted", "iam_action", "is_read",
    "policy_actions", "policy_context",
]
