"""Whether a registry group's resource policy grants the accounts that deploy from it.

A central registry's group is used by Models of *other* environments of the same tree, which
name it by ARN (``modelPackageGroupArn``) from their own accounts. Reading it takes
``sagemaker:DescribeModelPackage``, ``sagemaker:ListModelPackages`` and
``sagemaker:DescribeModelPackageGroup`` granted by the group's resource policy (the actions AWS's
model registry guide puts in its cross-account policy; sagemaker-rules.md). The plan of the
registry environment names each consumer account the policy misses, with the actions, at the
policy's place in the spec: a warning (the consumers' plans fail with AccessDeniedException
until it is granted), never a change sagectl makes by itself.

Which environments consume the group is asked of the kinds (``Kind.registry_pins``: the groups
a resource deploys from), so this module knows no other kind. A principal grants an account
when it is ``*``, the account id, or an IAM ARN in that account (a role or user ARN grants only
that principal: sagectl cannot tell which identity the consumer's runs use, and does not warn
then). Conditions are not evaluated; a matching Deny statement withdraws the grant.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.contract import NothingToPromote
from reconciler.plan.model import Problem
from reconciler.spec.load import load_specs
from reconciler.spec.nodes import locate

if TYPE_CHECKING:
    from reconciler.plan.context import PlanContext
    from reconciler.spec.resources import Resource

READS = ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages",
         "sagemaker:DescribeModelPackageGroup")
_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
                        r"model-package-group/(?P<name>[^/]+)$")


def consumers(ctx: PlanContext, resource: Resource) -> dict[str, list[str]]:
    """{account: [environment, ...]} of the tree's other environments (other accounts) whose
    resources deploy from this group by ARN."""
    found: dict[str, list[str]] = {}
    if ctx.specs.environment is None:
        return found
    root = Path(ctx.specs.environment.file).parent.parent  # <specs>/environments/<env>.yaml
    for env in ctx.specs.environments:
        if env == ctx.env:
            continue
        other = ctx.once(f"environment-specs:{env}", lambda env=env: load_specs(
            root, ctx.specs.kinds, env))
        account = other.environment.spec.account_id if other.environment else None
        if not account or account == ctx.account:
            continue
        if any(_is_this_group(ctx, resource, group) for group in _groups(other)):
            found.setdefault(account, []).append(env)
    return found


def _groups(specs: Any) -> set[str]:
    groups: set[str] = set()
    for kind in specs.kinds.ordered():
        if not kind.promotable:
            continue
        for r in specs.resources:
            if r.kind != kind.kind:
                continue
            try:
                groups |= {pin.group for pin in kind.registry_pins(specs, r)}
            except NothingToPromote:
                continue
    return groups


def _is_this_group(ctx: PlanContext, resource: Resource, group: str) -> bool:
    arn = _GROUP_ARN.match(group)
    return bool(arn and arn["account"] == ctx.account and arn["region"] == ctx.aws.region
                and arn["name"].lower() == resource.name.lower())


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _covers(principal: Any, account: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return any(str(p) in ("*", account, f"arn:aws:iam::{account}:root")
               for p in _listed(principal.get("AWS", [])))


def _matches(statement: dict[str, Any], account: str, action: str, arns: list[str]) -> bool:
    return (_covers(statement.get("Principal"), account)
            and any(fnmatchcase(action.lower(), str(a).lower())
                    for a in _listed(statement.get("Action", [])))
            and any(fnmatchcase(arn.lower(), str(r).lower())
                    for r in _listed(statement.get("Resource", [])) for arn in arns))


def missing(policy: Any, account: str, group_arn: str) -> list[str]:
    """The reads ``policy`` does not grant ``account`` on the group (and its versions)."""
    statements = [s for s in _listed((policy or {}).get("Statement", []))
                  if isinstance(s, dict)] if isinstance(policy, dict) else []
    versions = group_arn.replace(":model-package-group/", ":model-package/", 1) + "/1"
    arns = {"sagemaker:DescribeModelPackage": [versions],
            "sagemaker:DescribeModelPackageGroup": [group_arn],
            "sagemaker:ListModelPackages": [group_arn, versions]}
    out = []
    for action in READS:
        matching = [s for s in statements if _matches(s, account, action, arns[action])]
        if any(s.get("Effect") == "Deny" for s in matching) or not any(
                s.get("Effect") == "Allow" for s in matching):
            out.append(action)
    return out


def grant_warnings(ctx: PlanContext, resource: Resource, policy: Any) -> list[Problem]:
    """A warning per consumer account the policy does not grant every read it needs."""
    group_arn = ctx.arn("sagemaker", f"model-package-group/{resource.name}")
    where = locate(resource.node, ("spec", "resourcePolicy"), key=True)
    problems = []
    for account, envs in sorted(consumers(ctx, resource).items()):
        lacking = missing(policy, account, group_arn)
        if not lacking:
            continue
        field = "resourcePolicy" if policy is not None else "resourcePolicy (none is set)"
        problems.append(Problem(
            resource.address,
            f"{where}: {field} does not grant account {account} (environment(s) "
            f"{', '.join(envs)}, which deploy from this group by ARN) {', '.join(lacking)}; "
            "their plans are refused (AccessDeniedException) until it does",
            f'add a statement allowing {{"AWS": "arn:aws:iam::{account}:root"}} '
            f"{', '.join(READS)} on {group_arn} and {group_arn.replace('-group/', '/')}/*",
            severity="warning"))
    return problems
