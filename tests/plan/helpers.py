"""Planning against the in-process emulator, and a literal step runner to converge it.

``converge`` executes a plan's AWS steps as written (a stand-in for apply: it does not verify,
bake or roll back) so tests can reach the live states that sagectl itself produces.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import boto3

from reconciler.apply.steps import method_name
from reconciler.aws import Aws, AwsSettings
from reconciler.emulator import Emulator
from reconciler.plan.context import PlanOptions
from reconciler.plan.model import Plan
from reconciler.plan.planner import make_plan
from reconciler.spec.load import load_specs

ROLE = "arn:aws:iam::111111111111:role/inference"
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/scorer"
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
    loaded = load_specs(specs, env)
    assert loaded.ok, [d.text() for d in loaded.report.errors]
    aws = aws_for(emu)
    try:
        return make_plan(loaded, aws, specs.parent, PlanOptions(prune=prune))
    finally:
        aws.close()


def converge(emu: Emulator, the_plan: Plan, account: str = "111111111111") -> None:
    """Run every AWS step of every change that does not wait, as written."""
    aws = aws_for(emu, account)
    try:
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
    finally:
        aws.close()


def one(p: Plan, address: str) -> Any:
    found = [c for c in p.resource_changes if c.address == address]
    assert len(found) == 1, (address, [c.address for c in p.resource_changes], p.problems)
    return found[0]


def ops(change: Any) -> list[str]:
    return [s.op for s in change.steps]
