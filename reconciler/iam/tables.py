"""What sagectl does in AWS, as IAM sees it: the vocabulary of the tables ``sagectl iam-policy``
is made from, the engine's own operations, and the tables assembled from the kinds.

Each kind declares what it calls (``Kind.permissions``: its plan, apply, drift and import): its
``Permissions`` name the AWS operations (``read`` or ``write``), the scopes of the resources IAM
authorises them against, and the permissions AWS checks on top (``Implied``). ``CORE`` is what the
engine calls itself (the ownership read, the state table). ``assemble`` unions them.

**Adding an operation** (a new step or read of a kind): add one row to the kind's
``Permissions.operations`` under its botocore service name, e.g.
``"ListEndpoints": read(SM_LIST)`` or ``"StopPipelineExecution": write(SM_PIPELINE)``, naming the
scopes (below) of the resources IAM authorises it against. Reads (``read``) go into the plan and
the apply policy, changes (``write``) into the apply policy only. When the IAM action is not named
like the operation, say so (``read(S3_DEFINITIONS, action="s3:GetObject")``). Permissions that AWS
checks on top of an operation (tags on create, ``iam:PassRole``, what Application Auto Scaling
verifies on your behalf) go into ``implied``, keyed by the operations that need them. A new kind
of resource gets a scope in its ``scopes`` (its statement's Sid and ARN pattern); a scope whose
resources the specs name (roles, buckets) is ``per_spec``, filled by ``Kind.policy_resources``.

The test suite records every operation sagectl makes and fails when one is missing from the
tables (tests/iam_coverage.py), so a forgotten row shows up in CI, not in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.contract import Registry


# -- the vocabulary ------------------------------------------------------------------------------
# ARN templates take {p} partition, {r} region, {a} account, {table} state table.

@dataclass(frozen=True)
class Scope:
    sid: str
    """The statement's Sid (letters and digits)."""
    arns: tuple[str, ...]
    """ARN templates. For a scope ``per_spec``, the pattern used when no specs are given."""
    condition: tuple[str, str, str] | None = None
    """(operator, key, value) of the statement's condition."""
    per_spec: bool = False
    """With specs, the resources are those the specs name (``Kind.policy_resources``)."""


@dataclass(frozen=True)
class Op:
    scopes: tuple[str, ...]
    write: bool
    action: str | None = None
    """The IAM action when it is not ``<prefix>:<operation>``."""
    apply_only: bool = False
    """A read only apply makes, kept out of the plan policy: the value of a secret that apply
    hands to AWS and no plan may see (an ``ApprovalTrigger``'s token)."""


def read(*scopes: str, action: str | None = None, apply_only: bool = False) -> Op:
    return Op(scopes, False, action, apply_only)


def write(*scopes: str, action: str | None = None) -> Op:
    return Op(scopes, True, action)


@dataclass(frozen=True)
class Implied:
    """A permission AWS checks on top of an operation."""

    action: str
    scopes: tuple[str, ...]
    needed_by: tuple[tuple[str, str], ...]
    """(service, operation) pairs: the permission is granted in a mode that grants one of them."""
    why: str


def passed_to(service: str) -> tuple[str, str, str]:
    """The condition of an ``iam:PassRole`` statement: the role goes to ``service`` only."""
    return ("StringEquals", "iam:PassedToService", service)


@dataclass(frozen=True)
class ServiceRole:
    """A role the specs hand to an AWS service to do one thing sagectl sets up whole, so that
    sagectl knows everything the role needs (``sagectl iam-policy --service-roles``): an approval
    trigger's role, which EventBridge assumes to invoke the trigger's API destination. Roles that
    run the user's own code (a model's execution role, a pipeline's) are not such roles."""

    role_arn: str
    service: str
    """The service principal that assumes the role (``events.amazonaws.com``)."""
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    """ARN templates ({p} partition, {r} region, {a} account)."""
    used_by: str
    """The address of the resource that names the role."""


@dataclass(frozen=True)
class Permissions:
    """What the IAM policy must allow for one part of sagectl (a kind, the engine)."""

    scopes: dict[str, Scope] = field(default_factory=dict)
    """The scopes it defines, by key. A scope several kinds use is defined identically by each."""
    operations: dict[str, dict[str, Op]] = field(default_factory=dict)
    """botocore service name -> operation -> what it needs."""
    implied: tuple[Implied, ...] = ()


# -- the engine's own ------------------------------------------------------------------------------
TAGGING, STATE_TABLE = "tagging", "state-table"

CORE = Permissions(
    scopes={
        TAGGING: Scope("ResourceGroupsTaggingRead", ("*",)),  # GetResources takes no resource
        STATE_TABLE: Scope("StateTable", ("arn:{p}:dynamodb:{r}:{a}:table/{table}",)),
    },
    operations={
        "resourcegroupstaggingapi": {
            "GetResources": read(TAGGING),  # ownership, in bulk
        },
        "dynamodb": {
            # plan and drift read the environment's digest key (GetItem); apply creates it
            # (PutItem)
            "DescribeTable": read(STATE_TABLE),
            "GetItem": read(STATE_TABLE),
            "Query": read(STATE_TABLE),
            "CreateTable": write(STATE_TABLE),
            "DeleteItem": write(STATE_TABLE),
            "PutItem": write(STATE_TABLE),
            "UpdateItem": write(STATE_TABLE),
            # the lease keeper renews every lease in one transaction of Update actions, and the
            # run releases the leases that end together in one of Delete actions: IAM
            # authorises each action of a TransactWriteItems as its own operation
            # (amazondynamodb/latest/developerguide/transaction-apis-iam.html)
            "TransactWriteItems": write(STATE_TABLE, action="UpdateItem"),
            "BatchWriteItem": write(STATE_TABLE),  # journal cleared with the history record
        },
    },
    implied=(
        Implied("dynamodb:TagResource", (STATE_TABLE,), (("dynamodb", "CreateTable"),),
                "CreateTable with Tags (tag on create)"),
    ),
)

IAM_PREFIX = {"resourcegroupstaggingapi": "tag", "service-quotas": "servicequotas"}
"""botocore service name -> IAM service prefix, where they differ."""

NO_PERMISSION = {("sts", "GetCallerIdentity")}
"""Operations that every principal may call: never in a policy, never a gap."""

CALLER_OPERATIONS = {("sts", "AssumeRole")}
"""Operations sagectl makes as the caller, before acting as an environment's ``assumeRoleArn``
role: granted by ``sagectl iam-policy --caller`` (iam/trust.py), never by the role's policy."""


# -- assembling ----------------------------------------------------------------------------------

def merge(parts: Iterable[Permissions]) -> Permissions:
    """One table from several: an operation declared by several parts needs the union of their
    scopes (and must agree on being a write and on its action); a scope defined by several must
    be defined alike, and no two scopes share a Sid."""
    scopes: dict[str, Scope] = {}
    ops: dict[str, dict[str, Op]] = {}
    implied: list[Implied] = []
    for part in parts:
        for key, scope in part.scopes.items():
            if scopes.setdefault(key, scope) != scope:
                raise ValueError(f"scope {key!r} is defined in two ways: {scopes[key]} and "
                                 f"{scope}")
        for service, table in part.operations.items():
            mine = ops.setdefault(service, {})
            for name, op in table.items():
                known = mine.get(name)
                if known is None:
                    mine[name] = op
                    continue
                if (known.write, known.action, known.apply_only) != (op.write, op.action,
                                                                     op.apply_only):
                    raise ValueError(f"{service} {name} is declared in two ways")
                mine[name] = Op(tuple(dict.fromkeys(known.scopes + op.scopes)), op.write,
                                op.action, op.apply_only)
        implied += [i for i in part.implied if i not in implied]
    sids = [s.sid for s in scopes.values()]
    if len(sids) != len(set(sids)):
        raise ValueError(f"two scopes share a Sid: {sorted(sids)}")
    used = {s for table in ops.values() for op in table.values() for s in op.scopes}
    used |= {s for i in implied for s in i.scopes}
    if used - set(scopes):
        raise ValueError(f"scopes used but not defined: {sorted(used - set(scopes))}")
    return Permissions(scopes, ops, tuple(implied))


def assemble(kinds: Registry) -> Permissions:
    """Everything sagectl may call with these kinds: the engine's own operations and each
    kind's (``Kind.permissions``)."""
    return merge([CORE, *(p for k in kinds.ordered() if (p := k.permissions()) is not None)])


# -- names --------------------------------------------------------------------------------------
READ_VERBS = ("Describe", "List", "Get", "BatchGet", "Search", "Query", "Scan")
"""An operation named with one of these reads; it must be in the plan policy."""


def is_read(operation: str) -> bool:
    return operation.startswith(READ_VERBS)


def iam_action(service: str, operation: str, table: Permissions | None = None) -> str | None:
    """The IAM action of a botocore operation (None: no permission needed), as ``table`` (the
    assembled tables) names it. Works for operations missing from the table too, so they can be
    reported."""
    if (service, operation) in NO_PERMISSION:
        return None
    op = (table.operations if table else {}).get(service, {}).get(operation)
    if op is not None and op.action:
        return op.action
    return f"{IAM_PREFIX.get(service, service)}:{operation}"
