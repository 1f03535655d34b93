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


@dataclass
class Target:
    emulator: bool = False
    profile: str | None = None
    region: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    time_factor: float = 0.001
    read_only: bool = False
    """The command changes nothing in AWS (plan, drift without --heal, import without --adopt,
    promote, history): it acts as the environment's ``planRoleArn`` when it names one.
    ``False`` (the default, so a command nobody marked keeps today's role): ``assumeRoleArn``."""


EMULATOR_URL_VARIABLE = "SAGECTL_EMULATOR_URL"
EMBEDDED_VARIABLE = "SAGECTL_EMULATOR_EMBEDDED"
"""Set (to 1) by ``--emulator`` over several environments for its children: the served emulator
is the embedded one, a new, empty AWS with no roles, which stands for each environment's account
as it does for one environment (no role is assumed)."""


@contextmanager
def open_aws(env: Environment | None, target: Target) -> Iterator[Aws]:
    with open_target(env, target) as (aws, _):
        yield aws


def _emulator_aws(url: str, region: str | None, account: str | None,
                  concurrency: int, env: Environment | None = None,
                  read_only: bool = False) -> Aws:
    """Clients of the emulator. Without a role to assume (``EnvironmentSpec.role``) they act as
    the environment's account (moto's ``x-moto-account-id``); with one, the caller is the
    emulator's default identity and the role's credentials choose the account, as in AWS (moto
    keeps the keys it issued for an assumed role in the role's account)."""
    region = region or "us-east-1"
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=region)
    if env is not None and env.spec.role(read_only):
        assumed = assume_environment_role(session, env, region, url, read_only)
        return Aws(AwsSettings(region=region, endpoint_url=url, concurrency=concurrency),
                   session=assumed.session)
    return Aws(AwsSettings(region=region, endpoint_url=url, concurrency=concurrency,
                           account_header=account), session=session)


def role_request(env: Environment, read_only: bool = False) -> RoleRequest:
    """What to ask STS for ``env``'s role (``planRoleArn`` for a read-only command when set,
    else ``assumeRoleArn``): its ARN and the environment's external id, and a session name that
    carries the git commit of the specs (``SAGECTL_GIT_COMMIT``/``GITHUB_SHA`` first), the same
    for both roles."""
    from reconciler.plan.context import git_commit

    role = env.spec.role(read_only)
    assert role is not None
    field, arn = role
    commit = git_commit(Path(env.file).resolve().parent)
    return RoleRequest(arn, session_name(env.name, commit), env.spec.external_id, env=env.name,
                       env_file=env.file, expected_account=env.spec.account_id, field=field)


def assume_environment_role(base: Any, env: Environment, region: str,
                            endpoint_url: str | None = None, read_only: bool = False) -> Assumed:
    return assume(base, role_request(env, read_only), region=region, endpoint_url=endpoint_url)


def check_region(env: Environment | None, target: Target) -> None:
    """The environment file decides the region, as it decides the account (checked against the
    credentials when planning, ``planner.plan_with_context``): ``--region`` may repeat it, never
    change it. A plan of another region would show every resource as missing and create them
    there."""
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
def open_target(env: Environment | None, target: Target) -> Iterator[tuple[Aws, Any]]:
    """AWS clients for environment ``env`` (None: a tree without environments) and the clock
    that goes with them (wall clock, or the emulator's)."""
    check_region(env, target)
    region = target.region or (env.spec.region if env else None)
    account = env.spec.account_id if env else None
    served = os.environ.get(EMULATOR_URL_VARIABLE)
    if served and not target.emulator:
        from sagemaker_emulator.remote_controls import RemoteControls

        embedded = os.environ.get(EMBEDDED_VARIABLE) == "1"
        aws = _emulator_aws(served, region, account, target.concurrency,
                            None if embedded else env, target.read_only)
        try:
            yield aws, EmulatorClock(RemoteControls(served))
        finally:
            aws.close()
        return
    if not target.emulator:
        settings = AwsSettings(region=region, profile=target.profile,
                               concurrency=target.concurrency)
        session = None
        if env is not None and env.spec.role(target.read_only):
            base = boto3.Session(profile_name=target.profile, region_name=region)
            session = assume_environment_role(base, env, region or _region_of(base),
                                              read_only=target.read_only).session
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
