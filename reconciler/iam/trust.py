"""The two policies around an environment's roles, ``assumeRoleArn`` and ``planRoleArn``
(``sagectl iam-policy --trust-policy`` and ``--caller``).

sagectl runs as a *caller* (a CI role reached with GitHub OIDC, an engineer's SSO profile) and,
for an environment that names a role, acts as that role: ``planRoleArn`` for the read-only
commands when it is set, ``assumeRoleArn`` otherwise (``EnvironmentSpec.role``). AssumeRole needs
both sides (API_AssumeRole: "a role trust policy that specifies who can assume the role" and,
for a role in another account, "the administrator must attach a policy that allows the user to
call AssumeRole for the ARN of the role"):

- each role's **trust policy** lets the caller's principal call ``sts:AssumeRole``, with an
  ``sts:ExternalId`` condition when the environment sets ``externalId`` (one id, both roles);
- the caller's **own policy** allows ``sts:AssumeRole`` on the environments' role ARNs.

``--mode`` chooses the role as it chooses the permission policy: ``plan`` is the role the
read-only commands assume (``planRoleArn``, or ``assumeRoleArn`` without one), ``apply`` the one
the commands that change AWS assume (``assumeRoleArn``); without ``--mode``, both. The roles'
permission policies are ``sagectl iam-policy --mode plan`` (``planRoleArn``) and ``--mode
apply`` (``assumeRoleArn``, which also plans when there is no ``planRoleArn``: apply's policy
holds every read).
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

__all__ = ["CALLER_OPERATIONS", "caller_policy", "environments", "role_note", "roles",
           "trust_policy"]
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


READ_ONLY_COMMANDS = "plan, drift, import, promote, history"
WRITING_COMMANDS = "apply, drift --heal, import --adopt, unlock"


def roles(env: Environment, mode: str | None) -> list[tuple[str, str]]:
    """(field, ARN) of the roles of ``env`` that ``mode``'s commands assume (``plan``: the
    read-only ones, ``apply``: those that change AWS); ``None``: every role it names."""
    if mode is not None:
        role = env.spec.role(read_only=mode == "plan")
        return [role] if role else []
    return [(field, arn) for field, arn in (("planRoleArn", env.spec.plan_role_arn),
                                            ("assumeRoleArn", env.spec.assume_role_arn)) if arn]


def _commands(env: Environment, field: str) -> str:
    if field == "planRoleArn":
        return READ_ONLY_COMMANDS
    return WRITING_COMMANDS if env.spec.plan_role_arn else "every command"


def role_note(env: Environment, mode: str | None) -> str:
    """Which role(s) of ``env`` the trust policy of ``mode`` is for (printed on stderr)."""
    found = roles(env, mode)
    named = [f"{field} {arn} (the role of {_commands(env, field)})" for field, arn in found]
    if len(named) == 1:
        field, arn = found[0]
        return (f"this trust policy is for {field} {arn} of environment {env.name!r} (the role "
                f"of {_commands(env, field)})")
    return (f"this trust policy is for both roles of environment {env.name!r}: "
            f"{' and '.join(named)}. To let other principals assume each (the pull-request CI "
            "role the plan role only), print them apart: --mode plan, --mode apply")


def trust_policy(env: Environment, principals: list[str], mode: str | None = None
                 ) -> dict[str, Any]:
    """The trust policy of ``env``'s role(s) for ``mode`` (see ``roles``): ``principals`` may
    assume it (with the environment's external id, when it sets one)."""
    if not roles(env, mode):
        raise IamPolicyError(_no_role(env, mode))
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


def _no_role(env: Environment, mode: str | None) -> str:
    where = f"environment {env.name!r} ({env.file})"
    if mode == "apply":
        return (f"{where} sets no assumeRoleArn: {WRITING_COMMANDS} use the caller's own "
                "credentials there, there is no role to trust")
    return (f"{where} sets no assumeRoleArn and no planRoleArn: sagectl uses the caller's own "
            "credentials there, there is no role to trust")


ANY_ROLE = "arn:aws:iam::*:role/*"


def caller_policy(envs: list[Environment] | None, mode: str | None = None) -> dict[str, Any]:
    """The caller's policy: ``sts:AssumeRole`` on the roles of ``envs`` that ``mode``'s
    commands assume (``None``: both roles of each); ``envs`` ``None`` (no spec directory
    given): any role, a pattern like the other policies' without PATH."""
    arns = ([ANY_ROLE] if envs is None else
            sorted({arn for e in envs for _, arn in roles(e, mode)}))
    if not arns:
        names = ", ".join(e.name for e in envs or []) or "none"
        which = {"apply": "an assumeRoleArn", "plan": "a planRoleArn or an assumeRoleArn",
                 None: "an assumeRoleArn or a planRoleArn"}[mode]
        raise IamPolicyError(f"no environment names {which} ({names}): the caller needs no "
                             "sts:AssumeRole")
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "SagectlAssumeEnvironmentRoles", "Effect": "Allow", "Action": "sts:AssumeRole",
        "Resource": arns[0] if len(arns) == 1 else arns}]}
