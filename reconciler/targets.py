"""Where sagectl talks to: real AWS (the standard configuration), the embedded emulator
(``--emulator``), or a served one (``SAGECTL_EMULATOR_URL``: its endpoint and its simulated
clock, so waits and bakes follow emulator time)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from reconciler.apply.clock import EmulatorClock, WallClock
from reconciler.aws import DEFAULT_CONCURRENCY, Aws, AwsConfigError, AwsSettings
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
                  concurrency: int) -> Aws:
    region = region or "us-east-1"
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=region)
    return Aws(AwsSettings(region=region, endpoint_url=url, concurrency=concurrency,
                           account_header=account), session=session)


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

        aws = _emulator_aws(served, region, account, target.concurrency)
        try:
            yield aws, EmulatorClock(RemoteEmulator(served, region=aws.region))
        finally:
            aws.close()
        return
    if not target.emulator:
        aws = Aws(AwsSettings(region=region, profile=target.profile,
                              concurrency=target.concurrency))
        try:
            yield aws, WallClock()
        finally:
            aws.close()
        return
    from sagemaker_emulator import Emulator
    from sagemaker_emulator.server import EmulatorServer
    from sagemaker_emulator.state import STATE

    with EmulatorServer(port=0, time_factor=target.time_factor) as url:
        aws = _emulator_aws(url, region, account, target.concurrency)
        try:
            yield aws, EmulatorClock(Emulator(STATE))
        finally:
            aws.close()
