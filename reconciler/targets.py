"""Where sagectl talks to: real AWS (the standard configuration), or the embedded emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

from reconciler.aws import DEFAULT_CONCURRENCY, Aws, AwsSettings
from reconciler.spec.resolve import SpecSet


@dataclass
class Target:
    emulator: bool = False
    profile: str | None = None
    region: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    time_factor: float = 0.001


@contextmanager
def open_aws(specs: SpecSet, target: Target) -> Iterator[Aws]:
    env = specs.environment
    region = target.region or (env.spec.region if env else None)
    if not target.emulator:
        aws = Aws(AwsSettings(region=region, profile=target.profile,
                              concurrency=target.concurrency))
        try:
            yield aws
        finally:
            aws.close()
        return
    from reconciler.emulator.server import EmulatorServer

    with EmulatorServer(port=0, time_factor=target.time_factor) as url:
        region = region or "us-east-1"
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name=region)
        aws = Aws(AwsSettings(region=region, endpoint_url=url, concurrency=target.concurrency,
                              account_header=env.spec.account_id if env else None),
                  session=session)
        try:
            yield aws
        finally:
            aws.close()
