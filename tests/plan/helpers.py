"""Planning against the in-process emulator, and a literal step runner to converge it.

``converge`` executes a plan's AWS steps as written (a stand-in for apply: it does not verify,
bake or roll back) so tests can reach the live states that sagectl itself produces.
"""

from __future__ import annotations

import contextlib
import textwrap
from pathlib import Path
from typing import Any

import boto3

from reconciler.apply.state import DEFAULT_TABLE
from reconciler.apply.steps import method_name
from reconciler.aws import Aws, AwsSettings
from reconciler.cli.registry import KINDS
from reconciler.plan.context import PlanOptions
from reconciler.plan.digest_key import KEY_PK, DigestKey, read_key
from reconciler.plan.model import Plan
from reconciler.plan.planner import make_plan
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator

ROLE = "arn:aws:iam::111111111111:role/inference"
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/scorer"
TEST_DIGEST_KEY = bytes(range(32))
ENV = """
apiVersion: sagectl/v1
kind: Environment
metadata: {name: dev}
spec:
  region: eu-west-1
  accountId: "111111111111"
  prune: %(prune)s
"""


def write(root: Path, files: dict[str, str], prune: bool = False) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    specs = root / "specs"
    for old in specs.rglob("*.yaml") if specs.exists() else []:
        old.unlink()
    files = {"environments/dev.yaml": ENV % {"prune": str(prune).lower()}, **files}
    for rel, text in files.items():
        path = specs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return specs


def aws_for(emu: Emulator, account: str = "111111111111", region: str = "eu-west-1",
            concurrency: int = 8, max_attempts: int = 2) -> Aws:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=region)
    return Aws(AwsSettings(region=region, account_header=account, concurrency=concurrency,
                           max_attempts=max_attempts), session=session)


def plan(emu: Emulator, specs: Path, env: str = "dev", prune: bool | None = None) -> Plan:
    """A plan as `sagectl plan` makes it once an apply created the environment's digest key
    (``TEST_DIGEST_KEY`` unless one exists: plans are reproducible)."""
    loaded = load_specs(specs, KINDS, env)
    assert loaded.ok, [d.text() for d in loaded.report.errors]
    aws = aws_for(emu)
    try:
        options = PlanOptions(prune=prune, digest_key=lambda: environment_key(emu, aws, env))
        return make_plan(loaded, aws, specs.parent, options)
    finally:
        aws.close()


def store_test_key(aws: Aws, env: str) -> None:
    """Give ``env`` the digest key ``TEST_DIGEST_KEY`` unless it has one, as its first apply
    would (a random one there): names are then the same in every test run. The test's own
    calls, not sagectl's (they widen no IAM policy and count in no plan's reads)."""
    db = aws.client("dynamodb")
    with contextlib.suppress(db.exceptions.ResourceInUseException):
        db.create_table(TableName=DEFAULT_TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"}
                                              for k in ("pk", "sk")])
    with contextlib.suppress(db.exceptions.ConditionalCheckFailedException):
        db.put_item(TableName=DEFAULT_TABLE, Item={"pk": {"S": KEY_PK}, "sk": {"S": env},
                                                   "key": {"B": TEST_DIGEST_KEY}},
                    ConditionExpression="attribute_not_exists(pk)")


def environment_key(emu: Emulator, aws: Aws, env: str) -> DigestKey:
    """The environment's digest key as `sagectl plan` reads it, once an apply created it."""
    seed = aws_for(emu)
    try:
        store_test_key(seed, env)
    finally:
        seed.close()
    found = read_key(aws, DEFAULT_TABLE, env)
    assert found is not None
    return found


def converge(emu: Emulator, the_plan: Plan, account: str = "111111111111") -> None:
    """Run every AWS step of every change that does not wait, as written."""
    aws = aws_for(emu, account)
    try:
        run_as_written(emu, aws, the_plan)
    finally:
        aws.close()


def run_as_written(emu: Emulator, aws: Aws, the_plan: Plan) -> None:
    """``converge`` through ``aws`` (the benchmarks use it against a served emulator too):
    each AWS step as written; a ``sagectl:wait`` advances the emulator's clock past it."""
    for change in the_plan.resource_changes:
        if change.waits:
            continue
        for step in change.steps:
            service, _, operation = step.op.partition(":")
            if service == "sagectl":
                if step.op == "sagectl:wait":
                    emu.advance(100_000)
                continue
            client = aws.client(service)
            getattr(client, method_name(client, operation))(**(step.request or step.params))


def one(p: Plan, address: str) -> Any:
    found = [c for c in p.resource_changes if c.address == address]
    assert len(found) == 1, (address, [c.address for c in p.resource_changes], p.problems)
    return found[0]


def ops(change: Any) -> list[str]:
    return [s.op for s in change.steps]
