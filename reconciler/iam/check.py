"""Checking a policy document against AWS operations: an IAM action matcher (wildcards, case
insensitive, Deny and NotAction understood) and the coverage check the test suite runs.

The check is on actions, not resources: it answers "may this principal call X at all?", which
is what a missing row in the tables breaks. Resource scoping is built from the same tables and
tested separately (tests/iam/test_iam_policy.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reconciler.iam.tables import CALLER_OPERATIONS, Permissions, iam_action, is_read


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    text = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(text, re.IGNORECASE | re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    """IAM's action matching: ``*`` is any run of characters, ``?`` one, case does not matter
    (``sagemaker:Describe*`` matches ``sagemaker:DescribeEndpoint``)."""
    return _pattern(pattern).fullmatch(action) is not None


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _covers(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(action_matches(p, action) for p in _listed(statement["NotAction"]))
    return any(action_matches(p, action) for p in _listed(statement.get("Action")))


def allows(policy: dict[str, Any], action: str) -> bool:
    """Whether some Allow statement of ``policy`` names ``action`` and no unconditional Deny on
    every resource does (conditions and resource scoping are not evaluated)."""
    statements = _listed(policy.get("Statement")) if not isinstance(
        policy.get("Statement"), dict) else [policy["Statement"]]
    allowed = False
    for statement in statements:
        if not _covers(statement, action):
            continue
        if statement.get("Effect") == "Deny":
            if "Condition" not in statement and "*" in _listed(statement.get("Resource")):
                return False
        elif statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def policy_actions(policy: dict[str, Any]) -> list[str]:
    """Every action an Allow statement names (patterns as written), sorted."""
    statements = policy.get("Statement")
    listed = [statements] if isinstance(statements, dict) else _listed(statements)
    return sorted({a for s in listed if s.get("Effect") == "Allow"
                   for a in _listed(s.get("Action"))})


@dataclass(frozen=True, order=True)
class Gap:
    """An operation sagectl made that a policy does not allow."""

    mode: str
    action: str
    service: str
    operation: str

    def __str__(self) -> str:
        return (f"{self.action} (for {self.service} {self.operation}) is missing from the "
                f"{self.mode} policy")


def coverage_gaps(observed: Iterable[tuple[str, str]], apply_policy: dict[str, Any],
                  plan_policy: dict[str, Any], table: Permissions | None = None,
                  caller_policy: dict[str, Any] | None = None) -> list[Gap]:
    """Operations (botocore service, operation) that the apply policy does not allow, and read
    operations (Describe, List, Get, BatchGet, Search, Query, Scan) that the plan policy does
    not allow (but those ``table`` marks ``apply_only``, which it must not allow). Operations
    needing no permission (sts:GetCallerIdentity) are skipped; ``table`` names the IAM actions
    not named like their operation. The caller's own operations
    (``CALLER_OPERATIONS``: sts:AssumeRole of an environment's role) are checked against
    ``caller_policy`` (``sagectl iam-policy --caller``) instead: the role never needs them."""
    gaps = set()
    for service, operation in set(observed):
        action = iam_action(service, operation, table)
        if action is None:
            continue
        if (service, operation) in CALLER_OPERATIONS:
            if caller_policy is None or not allows(caller_policy, action):
                gaps.add(Gap("caller", action, service, operation))
            continue
        if not allows(apply_policy, action):
            gaps.add(Gap("apply", action, service, operation))
        op = (table.operations if table else {}).get(service, {}).get(operation)
        if is_read(operation) and not (op and op.apply_only) and not allows(plan_policy,
                                                                               action):
            gaps.add(Gap("plan", action, service, operation))
    return sorted(gaps)
