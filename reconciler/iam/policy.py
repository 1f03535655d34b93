"""Building the policy document for a mode from the tables (tables.py: the engine's operations
and every kind's) and what the specs say: the environment's account and region, and the resources
of the scopes the kinds fill per spec (the roles the specs pass to AWS services, the buckets
pipeline definitions are uploaded to: ``Kind.policy_resources``)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.contract import Registry
from reconciler.defaults import DEFAULT_TABLE, IAM_MODES
from reconciler.diagnostics import Diagnostic, Report
from reconciler.iam.tables import CORE, Permissions, assemble, iam_action
from reconciler.spec.files import read_tree
from reconciler.spec.load import load_specs
from reconciler.spec.resolve import load_environments

MODES = IAM_MODES
"""``plan``: read-only (plan, drift without heal, import without adopt, history, promote's
look-ups), the policy of an environment's ``planRoleArn``; ``apply``: plus every change, the
policy of its ``assumeRoleArn``."""
DEFAULT_SPEC_DIR = "specs"
DEFAULT_STATE_TABLE = DEFAULT_TABLE
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


class IamPolicyError(Exception):
    """The policy cannot be made for these arguments (invalid specs, unknown environment)."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True)
class PolicyContext:
    """What scopes the resources of a policy. ``"*"`` where it is not known."""

    region: str = "*"
    account: str = "*"
    state_table: str = DEFAULT_STATE_TABLE
    from_specs: dict[str, tuple[str, ...]] | None = field(default=None, hash=False)
    """Scope filled per spec -> the resources (ARN templates) the specs name, e.g. the roles
    they pass (None: no specs; such scopes take their patterns)."""
    table: Permissions = field(default=CORE, hash=False, compare=False)
    """The tables: the engine's operations and the kinds' (``tables.assemble``)."""

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    def fill(self, template: str) -> str:
        return template.format(p=self.partition, r=self.region, a=self.account,
                               table=self.state_table)


def granted(mode: str, table: Permissions) -> set[tuple[str, str]]:
    """The (service, operation) pairs a mode allows."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {', '.join(MODES)}")
    return {(service, name) for service, ops in table.operations.items()
            for name, op in ops.items()
            if mode == "apply" or not (op.write or op.apply_only)}


def _resources(scope: str, ctx: PolicyContext) -> list[str]:
    info = ctx.table.scopes[scope]
    if info.per_spec and ctx.from_specs is not None:
        return [ctx.fill(t) for t in ctx.from_specs.get(scope, ())]
    return [ctx.fill(t) for t in info.arns]


def build_policy(mode: str, ctx: PolicyContext | None = None) -> dict[str, Any]:
    """The IAM policy document (deterministic: statements by Sid, actions and resources sorted;
    a scope without resources, e.g. no bucket in the specs, has no statement)."""
    ctx = ctx or PolicyContext()
    table = ctx.table
    included = granted(mode, table)
    actions: dict[str, set[str]] = defaultdict(set)
    for service, name in included:
        action = iam_action(service, name, table)
        if action is not None:
            for scope in table.operations[service][name].scopes:
                actions[scope].add(action)
    for implied in table.implied:
        if any(pair in included for pair in implied.needed_by):
            for scope in implied.scopes:
                actions[scope].add(implied.action)
    statements = []
    for scope, names in actions.items():
        resources = sorted(set(_resources(scope, ctx)))
        if not resources:
            continue
        info = table.scopes[scope]
        statement: dict[str, Any] = {"Sid": info.sid, "Effect": "Allow", "Action": sorted(names),
                                     "Resource": resources[0] if len(resources) == 1
                                     else resources}
        if info.condition:
            operator, key, value = info.condition
            statement["Condition"] = {operator: {key: value}}
        statements.append(statement)
    statements.sort(key=lambda s: s["Sid"])
    return {"Version": "2012-10-17", "Statement": statements}


# -- from the specs -----------------------------------------------------------------------------
def _from_specs(kinds: Registry, resources: list[Any]) -> dict[str, tuple[str, ...]]:
    """Scope -> the resources the specs name for it (``Kind.policy_resources``)."""
    found: dict[str, set[str]] = defaultdict(set)
    for resource in resources:
        for scope, arns in kinds[resource.kind].policy_resources(resource).items():
            found[scope] |= set(arns)
    return {scope: tuple(sorted(arns)) for scope, arns in found.items()}


def _environment(kinds: Registry, path: str, env: str) -> tuple[str | None, str | None]:
    """(region, account) of ``env`` in the tree at ``path`` (resources are not read)."""
    if not Path(path).is_dir():
        raise IamPolicyError(f"--env without PATH reads the environment from {path}/, which "
                             "does not exist; give the spec directory")
    report = Report()
    envs = load_environments(read_tree(Path(path), kinds), report)
    if report.errors:
        raise IamPolicyError(f"cannot read the environments of {path}", report.sorted())
    if env not in envs:
        defined = ", ".join(sorted(envs)) or "none"
        raise IamPolicyError(f"unknown environment {env!r} in {path} (defined: {defined})")
    return envs[env].spec.region, envs[env].spec.account_id


def policy_context(kinds: Registry, path: str | None, env: str | None,
                   state_table: str = DEFAULT_STATE_TABLE) -> PolicyContext:
    """The context for ``sagectl iam-policy [PATH] [--env ENV]``.

    With PATH: the specs of the environment (they must be valid) give the roles and buckets,
    the environment its account and region. Without PATH: roles and buckets are patterns, and
    ``--env`` reads only the environment file from the default spec directory."""
    if not _TABLE_NAME.match(state_table):
        raise IamPolicyError(f"--state-table {state_table!r} is not a DynamoDB table name "
                             "(3-255 letters, digits, _ . -)")
    table = assemble(kinds)
    if path is None:
        if env is None:
            return PolicyContext(state_table=state_table, table=table)
        region, account = _environment(kinds, DEFAULT_SPEC_DIR, env)
        return PolicyContext(region or "*", account or "*", state_table, table=table)
    if not Path(path).exists():
        raise IamPolicyError(f"{path}: no such file or directory")
    specs = load_specs(path, kinds, env)  # the tree is read once: it also names the environments
    names = specs.environments
    if env is None and names:
        raise IamPolicyError(f"choose an environment with --env ({', '.join(names)})")
    if env is not None and names and env not in names:
        raise IamPolicyError(f"unknown environment {env!r} in {path} (defined: "
                             f"{', '.join(names)})")
    if not specs.ok:
        raise IamPolicyError("the specs are invalid; no policy was made", specs.report.sorted())
    spec = specs.environment.spec if specs.environment else None
    return PolicyContext((spec.region if spec else None) or "*",
                         (spec.account_id if spec else None) or "*", state_table,
                         _from_specs(kinds, specs.resources), table)
