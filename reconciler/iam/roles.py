"""The policies of the roles the specs hand to AWS services (``sagectl iam-policy
--service-roles``): for each role a kind knows whole (``Kind.service_roles``), its permission
policy, scoped by the environment's account and region, and its trust policy (the service
principal may ``sts:AssumeRole``). Several resources naming one role get one entry with every
statement they need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.contract import Registry
from reconciler.iam.policy import IamPolicyError, policy_context
from reconciler.iam.tables import ServiceRole
from reconciler.spec.load import load_specs


def service_role_policies(kinds: Registry, path: str | None, env: str | None) -> dict[str, Any]:
    if path is None:
        raise IamPolicyError("--service-roles reads the roles from the specs: give PATH (and "
                             "--env ENV)")
    ctx = policy_context(kinds, path, env)  # the specs are valid, the environment known
    specs = load_specs(Path(path), kinds, env)
    found: dict[tuple[str, str], list[ServiceRole]] = {}
    for resource in specs.resources:
        for role in kinds[resource.kind].service_roles(resource):
            found.setdefault((role.role_arn, role.service), []).append(role)
    roles = []
    for (arn, service), needs in sorted(found.items()):
        statements = [{"Sid": f"Statement{i}", "Effect": "Allow",
                       "Action": list(role.actions) if len(role.actions) > 1 else role.actions[0],
                       "Resource": [ctx.fill(r) for r in role.resources]}
                      for i, role in enumerate(needs, 1)]
        roles.append({
            "roleArn": arn, "usedBy": sorted({role.used_by for role in needs}),
            "trustPolicy": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": service},
                "Action": "sts:AssumeRole"}]},
            "policy": {"Version": "2012-10-17", "Statement": statements}})
    return {"roles": roles}
