"""What the benchmarks share: the bench account and environment, and AWS clients for it."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import boto3

from reconciler.aws import Aws, AwsSettings

ACCOUNT, REGION = "111111111111", "eu-west-1"
ENVIRONMENT = """
apiVersion: sagectl/v1
kind: Environment
metadata: {name: bench}
spec: {region: eu-west-1, accountId: "111111111111"}
"""


def spec_dir(root: Path) -> Path:
    """``root/specs`` with the bench environment in it."""
    specs = root / "specs"
    (specs / "environments").mkdir(parents=True, exist_ok=True)
    (specs / "environments" / "bench.yaml").write_text(ENVIRONMENT)
    return specs


def bench_aws(concurrency: int, endpoint_url: str | None = None, max_attempts: int = 10) -> Aws:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
    return Aws(AwsSettings(region=REGION, account_header=ACCOUNT, concurrency=concurrency,
                           endpoint_url=endpoint_url, max_attempts=max_attempts), session=session)


def model_and_alarm(i: int, image: str, account: str = ACCOUNT, region: str = REGION) -> str:
    """Spec documents of endpoint ``i``'s model (image tag ``image``) and its guardrail alarm;
    ``account`` and ``region`` may be ``${accountId}`` and ``${region}`` (one tree, several
    environments)."""
    return textwrap.dedent(f"""
    apiVersion: sagectl/v1
    kind: Model
    metadata: {{name: model-{i}}}
    spec:
      executionRoleArn: arn:aws:iam::{account}:role/inference
      primaryContainer: {{image: "{account}.dkr.ecr.{region}.amazonaws.com/m{i}:{image}"}}
    ---
    apiVersion: sagectl/v1
    kind: Alarm
    metadata: {{name: errors-{i}}}
    spec:
      namespace: AWS/SageMaker
      metricName: Invocation5XXErrors
      dimensions: [{{name: EndpointName, value: endpoint-{i}}}]
      statistic: Sum
      period: 60
      evaluationPeriods: 2
      threshold: 5
      comparisonOperator: GreaterThanThreshold
      treatMissingData: notBreaching
    ---
    """).rstrip().removesuffix("---").rstrip() + "\n"


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes), printed with every figure: seconds
    measured on a loaded 2-core machine are not comparable with an idle one's."""
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
