"""The two policies around an environment's ``assumeRoleArn`` (``sagectl iam-policy
--trust-policy`` and ``--caller``).

sagectl runs as a *caller* (a CI role reached with GitHub OIDC, an engineer's SSO profile) and,
for an environment that names ``assumeRoleArn``, acts as that role. AssumeRole needs both sides
(API_AssumeRole: "a role trust policy that specifies who can assume the role" and, for a role in
another account, "the administrator must attach a policy that allows the user to call AssumeRole
for the ARN of the role"):

- the role's **trust policy** lets the caller's principal call ``sts:AssumeRole``, with an
  ``sts:ExternalId`` condition when the environment sets ``externalId``;
- the caller's **own policy** allows ``sts:AssumeRole`` on the environments' role ARNs.

The role's permission policy is ``sagectl iam-policy --mode plan|apply`` as before: the role is
the identity every other call is made with.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reconciler.contract import Registry
from reconciler.diagnostics import Report
from reconciler.iam.policy import IamPolicyError
from reconciler.iam.tables import CALLER_OPERATIONS
from reconciler.spec.environments import Environment
from reconciler.spec.files import read_tree
from reconciler.spec.resolve import load_environments

__all__ = ["CALLER_OPERATIONS", "caller_policy", "environments", "trust_policy"]
_ACCOUNT = re.compile(r"^\d{12}$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/:-]+$")


def environments(kinds: Registry, path: str, env: str | None) -> list[Environment]:
    """The environments of the tree at ``path`` (``env`` only, when given)."""
    if not Path(path).is_dir():
        raise IamPolicyError(f"{path}: no such spec directory")
    report = Report()
    envs = load_environments(read_tree(Path(path), kinds), report)
    if report.errors:
        raise IamPolicyError(f"cannot read the environments of {path}", report.sorted())
    if env is None:
        return [envs[name] for name in sorted(envs)]
    if env not in envs:
        defined = ", ".join(sorted(envs)) or "none"
        raise IamPolicyError(f"unknown environment {env!r} in {path} (defined: {defined})")
    return [envs[env]]


def _principal(text: str) -> str:
    if _ACCOUNT.match(text):
        return f"arn:aws:iam::{text}:root"
    if _PRINCIPAL_ARN.match(text):
        return text
    raise IamPolicyError(f"--principal {text!r}: expected an account id (12 digits) or an IAM "
                         "principal ARN, e.g. arn:aws:iam::111111111111:role/sagectl-ci")


def trust_policy(env: Environment, principals: list[str]) -> dict[str, Any]:
    """The trust policy of ``env``'s role: ``principals`` may assume it (with the environment's
    external id, when it sets one)."""
    if not env.spec.assume_role_arn:
        raise IamPolicyError(f"environment {env.name!r} ({env.file}) sets no assumeRoleArn: "
                             "sagectl uses the caller's own credentials there, there is no role "
                             "to trust")
    if not principals:
        raise IamPolicyError("--trust-policy needs --principal: who runs sagectl (the CI role's "
                             "ARN, or an account id)")
    names = sorted({_principal(p) for p in principals})
    statement: dict[str, Any] = {
        "Sid": "SagectlCallerAssumes", "Effect": "Allow",
        "Principal": {"AWS": names[0] if len(names) == 1 else names},
        "Action": "sts:AssumeRole"}
    if env.spec.external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": env.spec.external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


ANY_ROLE = "arn:aws:iam::*:role/*"


def caller_policy(envs: list[Environment] | None) -> dict[str, Any]:
    """The caller's policy: ``sts:AssumeRole`` on the roles of ``envs`` (all that name one);
    ``None`` (no spec directory given): any role, a pattern like the other policies' without
    PATH."""
    roles = ([ANY_ROLE] if envs is None else
             sorted({e.spec.assume_role_arn for e in envs if e.spec.assume_role_arn}))
    if not roles:
        names = ", ".join(e.name for e in envs or []) or "none"
        raise IamPolicyError(f"no environment names an assumeRoleArn ({names}): the caller "
                             "needs no sts:AssumeRole")
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "SagectlAssumeEnvironmentRoles", "Effect": "Allow", "Action": "sts:AssumeRole",
        "Resource": roles[0] if len(roles) == 1 else roles}]}
