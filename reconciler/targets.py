"""Where sagectl talks to: real AWS (the standard configuration), the embedded emulator
(``--emulator``), or a served one (``SAGECTL_EMULATOR_URL``: its endpoint and its simulated
clock, so waits and bakes follow emulator time)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from reconciler.apply.clock import EmulatorClock, WallClock
from reconciler.assume import Assumed, RoleRequest, assume, session_name
from reconciler.aws import DEFAULT_CONCURRENCY, Aws, AwsConfigError, AwsSettings
from reconciler.spec.environments import Environment
from reconciler.spec.resources import SpecSet


@dataclass
class Target:
    emulator: bool = False
    profile: str | None = None
    region: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    time_factor: float = 0.001


EMULATOR_URL_VARIABLE = "SAGECTL_EMULATOR_URL"


@contextmanager
def open_aws(specs: SpecSet, target: Target) -> Iterator[Aws]:
    with open_target(specs, target) as (aws, _):
        yield aws


def _emulator_aws(url: str, region: str | None, account: str | None,
                  concurrency: int, specs: SpecSet | None = None) -> Aws:
    """Clients of the emulator. Without ``assumeRoleArn`` they act as the environment's account
    (moto's ``x-moto-account-id``); with it, the caller is the emulator's default identity and
    the role's credentials choose the account, as in AWS (moto keeps the keys it issued for an
    assumed role in the role's account)."""
    region = region or "us-east-1"
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=region)
    env = specs.environment if specs is not None else None
    if env is not None and env.spec.assume_role_arn:
        assumed = assume_environment_role(session, env, region, url)
        return Aws(AwsSettings(region=region, endpoint_url=url, concurrency=concurrency),
                   session=assumed.session)
    return Aws(AwsSettings(region=region, endpoint_url=url, concurrency=concurrency,
                           account_header=account), session=session)


def role_request(env: Environment) -> RoleRequest:
    """What to ask STS for ``env``'s role: its ARN and external id, and a session name that
    carries the git commit of the specs (``SAGECTL_GIT_COMMIT``/``GITHUB_SHA`` first)."""
    from reconciler.plan.context import git_commit

    assert env.spec.assume_role_arn
    commit = git_commit(Path(env.file).resolve().parent)
    return RoleRequest(env.spec.assume_role_arn, session_name(env.name, commit),
                       env.spec.external_id, env=env.name, env_file=env.file,
                       expected_account=env.spec.account_id)


def assume_environment_role(base: Any, env: Environment, region: str,
                            endpoint_url: str | None = None) -> Assumed:
    return assume(base, role_request(env), region=region, endpoint_url=endpoint_url)


def check_region(specs: SpecSet, target: Target) -> None:
    """The environment file decides the region, as it decides the account (checked against the
    credentials when planning, ``planner.plan_with_context``): ``--region`` may repeat it, never
    change it. A plan of another region would show every resource as missing and create them
    there."""
    env = specs.environment
    if env is None or not env.spec.region or not target.region:
        return
    if target.region != env.spec.region:
        raise AwsConfigError(f"--region is {target.region}, but environment {env.name!r} is "
                             f"region {env.spec.region} ({env.file}); refusing to use another "
                             "region than the environment's: drop --region, or change the "
                             "environment file")


def _region_of(session: Any) -> str:
    if not session.region_name:
        raise AwsConfigError("no AWS region: set it in the environment file (spec.region), "
                             "with AWS_REGION, or in your AWS profile")
    return str(session.region_name)


@contextmanager
def open_target(specs: SpecSet, target: Target) -> Iterator[tuple[Aws, Any]]:
    """AWS clients and the clock that goes with them (wall clock, or the emulator's)."""
    env = specs.environment
    check_region(specs, target)
    region = target.region or (env.spec.region if env else None)
    account = env.spec.account_id if env else None
    served = os.environ.get(EMULATOR_URL_VARIABLE)
    if served and not target.emulator:
        from sagemaker_emulator.server import RemoteEmulator

        aws = _emulator_aws(served, region, account, target.concurrency, specs)
        try:
            yield aws, EmulatorClock(RemoteEmulator(served, region=aws.region))
        finally:
            aws.close()
        return
    if not target.emulator:
        settings = AwsSettings(region=region, profile=target.profile,
                               concurrency=target.concurrency)
        session = None
        if env is not None and env.spec.assume_role_arn:
            base = boto3.Session(profile_name=target.profile, region_name=region)
            session = assume_environment_role(base, env, region or _region_of(base)).session
        aws = Aws(settings, session=session)
        try:
            yield aws, WallClock()
        finally:
            aws.close()
        return
    from sagemaker_emulator import Emulator
    from sagemaker_emulator.server import EmulatorServer
    from sagemaker_emulator.state import STATE

    with EmulatorServer(port=0, time_factor=target.time_factor) as url:
        # The embedded emulator is a new, empty account with no IAM roles to assume: it stands
        # for the environment's account itself (``--emulator`` says so), role or not.
        aws = _emulator_aws(url, region, account, target.concurrency)
        try:
            yield aws, EmulatorClock(Emulator(STATE))
        finally:
            aws.close()
