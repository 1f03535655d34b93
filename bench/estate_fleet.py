"""The estate of ``bench.estate_bench``: many environments (accounts x regions) of one spec tree
in one served emulator, each acting through a role of its own account, converged.

- ``layout``: environment ``k`` is account ``k // regions``, region ``k % regions``; each
  environment file names its ``accountId``, ``region`` and an ``assumeRoleArn`` in that account.
- ``served_emulator``: ``python -m sagemaker_emulator serve`` in its own process (as a real AWS
  endpoint is apart from sagectl), driven through its controls (``RemoteEmulator``).
- ``create_roles``: in each account, a role whose trust policy allows the caller (the emulator's
  default identity): its STS refuses an AssumeRole that the trust policy does not allow
  (``sagemaker_emulator/sts.py``).
- ``seed``: each environment's live state as sagectl creates it (its plan's AWS steps as
  written, ``tests.plan.helpers.run_as_written``), much faster than ``sagectl apply``'s waits.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from bench.plan_bench import endpoint_specs
from reconciler.aws import Aws, AwsSettings
from reconciler.cli.registry import KINDS
from reconciler.plan.planner import make_plan
from reconciler.spec.load import load_specs
from sagemaker_emulator import DEFAULT_ACCOUNT, FAKE_CREDENTIALS
from sagemaker_emulator.server import RemoteEmulator
from tests.plan.helpers import run_as_written

REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1", "us-west-2")
ROLE_NAME = "sagectl-deployer"
CALLER = DEFAULT_ACCOUNT
"""The account of the caller's credentials (the emulator's default identity): the one every
environment's role trusts, as a CI account's OIDC role would be trusted in the workload
accounts."""
COMMIT = "e5" * 20
"""The git commit the ``sagectl`` processes report (``SAGECTL_GIT_COMMIT``, as CI sets it)."""


@dataclass(frozen=True)
class Environment:
    name: str
    account: str
    region: str

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{ROLE_NAME}"


def account_id(a: int) -> str:
    return f"{200000000000 + a:012d}"


def layout(envs: int, regions: int) -> list[Environment]:
    """``envs`` environments over ``ceil(envs / regions)`` accounts, ``regions`` regions each."""
    if not 1 <= regions <= len(REGIONS):
        raise ValueError(f"regions must be 1 to {len(REGIONS)}")
    out = []
    for k in range(envs):
        a, region = k // regions, REGIONS[k % regions]
        out.append(Environment(f"a{a:02d}-{region}", account_id(a), region))
    return out


def environment_file(env: Environment) -> str:
    return (f"apiVersion: sagectl/v1\nkind: Environment\nmetadata: {{name: {env.name}}}\n"
            f"spec:\n  region: {env.region}\n  accountId: \"{env.account}\"\n"
            f"  assumeRoleArn: {env.role_arn}\n")


def write_tree(root: Path, envs: list[Environment], endpoints: int) -> Path:
    """``root/specs``: one environment file each, and ``endpoints`` endpoints (two variants,
    autoscaling on one, a guardrail alarm, a model) that every environment deploys in its own
    account and region (``${accountId}``, ``${region}``)."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    specs = root / "specs"
    (specs / "environments").mkdir(parents=True, exist_ok=True)
    for env in envs:
        (specs / "environments" / f"{env.name}.yaml").write_text(environment_file(env))
    for i in range(endpoints):
        (specs / f"endpoint-{i}.yaml").write_text(
            endpoint_specs(i, account="${accountId}", region="${region}"))
    return specs


@dataclass
class Served:
    url: str
    pid: int
    emu: RemoteEmulator


@contextlib.contextmanager
def served_emulator() -> Iterator[Served]:
    """``python -m sagemaker_emulator serve --port 0`` in a child process; its clock frozen
    (it moves only when the seeding advances it)."""
    child = subprocess.Popen([sys.executable, "-m", "sagemaker_emulator", "serve", "--port", "0"],
                             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                             env={**os.environ, **FAKE_CREDENTIALS})
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        if "listening on " not in first:
            raise SystemExit(f"the emulator did not start: {first!r}")
        url = first.split("listening on ", 1)[1].split()[0]
        emu = RemoteEmulator(url, region=REGIONS[0])
        emu.freeze()
        yield Served(url, child.pid, emu)
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def client_as(url: str, service: str, account: str, region: str) -> Any:
    """A boto3 client of the served emulator acting as ``account`` (moto's account header)."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=region)
    made = session.client(service, endpoint_url=url)
    made.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", account))
    return made


def trust_policy() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CALLER}:root"},
        "Action": "sts:AssumeRole"}]})


def create_roles(url: str, envs: list[Environment]) -> None:
    """The deployer role of each account (IAM is global: one per account, all its regions)."""
    for account in sorted({e.account for e in envs}):
        client_as(url, "iam", account, REGIONS[0]).create_role(
            RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust_policy())


def _seed_one(served: Served, specs: Path, env: Environment) -> int:
    """Plan ``env`` and run its AWS steps as written; the number of resources created."""
    loaded = load_specs(specs, KINDS, env.name)
    if not loaded.ok:
        raise SystemExit(f"the bench's specs do not load for {env.name}: "
                         f"{[d.text() for d in loaded.report.errors][:3]}")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=env.region)
    aws = Aws(AwsSettings(region=env.region, account_header=env.account, concurrency=8,
                          endpoint_url=served.url), session=session)
    try:
        plan = make_plan(loaded, aws, specs.parent)
        run_as_written(served.emu, aws, plan)
        return len(plan.resource_changes)
    finally:
        aws.close()


def seed(served: Served, specs: Path, envs: list[Environment], threads: int = 2) -> int:
    """Every environment's resources, ``threads`` environments at a time (the served emulator
    computes while this process plans the next one); the number of resources created."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="seed") as pool:
        return sum(pool.map(lambda env: _seed_one(served, specs, env), envs))
