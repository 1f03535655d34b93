"""The bounded pool of ``reconciler.aws.Aws``: nested maps must not deadlock; closing it stops
the reads nobody waits for."""

from __future__ import annotations

import threading

import boto3
import pytest

from reconciler.aws import Aws, AwsSettings, Closed, add_call_observer
from sagemaker_emulator import Emulator


def _aws(concurrency: int) -> Aws:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x",
                            region_name="eu-west-1")
    return Aws(AwsSettings(region="eu-west-1", concurrency=concurrency), session=session)


def test_a_map_inside_a_map_completes_even_with_one_worker() -> None:
    aws = _aws(1)
    result: list[list[int]] = []

    def outer(i: int) -> list[int]:
        return aws.map(lambda j: i * 10 + j, range(3))

    worker = threading.Thread(target=lambda: result.extend(aws.map(outer, range(4))))
    worker.start()
    worker.join(timeout=10)
    aws.close()
    assert not worker.is_alive(), "nested map deadlocked on the bounded pool"
    assert result == [[0, 1, 2], [10, 11, 12], [20, 21, 22], [30, 31, 32]]


def test_submit_from_a_worker_runs_inline_and_carries_errors() -> None:
    aws = _aws(1)

    def inner() -> int:
        raise ValueError("boom")

    def outer(_: int) -> str:
        future = aws.submit(inner)
        try:
            future.result(timeout=5)
        except ValueError as err:
            return str(err)
        return "no error"

    assert aws.map(outer, [0]) == ["boom"]
    assert aws.submit(lambda: 7).result(timeout=5) == 7
    aws.close()


def test_close_cancels_what_has_not_started_and_stops_a_paginated_read(emu: Emulator) -> None:
    """A plan whose specs turn out invalid closes its ``Aws`` while the reads it started early
    are under way: the queued ones are cancelled, a paginated one stops at its next page (100
    pages of scaling policies are not waited for)."""
    aas = emu.client("application-autoscaling", region="eu-west-1")
    for i in range(30):  # 30 policies: 3 pages of 10 (a namespace with no resource checks)
        where = {"ServiceNamespace": "dynamodb", "ResourceId": f"table/t{i}",
                 "ScalableDimension": "dynamodb:table:ReadCapacityUnits"}
        aas.register_scalable_target(**where, MinCapacity=1, MaxCapacity=2)
        aas.put_scaling_policy(
            PolicyName="p", **where, PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0, "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "DynamoDBReadCapacityUtilization"}})
    aws = Aws(AwsSettings(region="eu-west-1", concurrency=1, account_header="123456789012"),
              session=boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="eu-west-1"))
    first_page, go_on = threading.Event(), threading.Event()

    def observe(service: str, operation: str) -> None:
        if operation == "DescribeScalingPolicies" and not first_page.is_set():
            first_page.set()
            go_on.wait(10)  # the first page waits until close() has begun

    remove = add_call_observer(observe)
    try:
        reading = aws.submit(lambda: aws.paginate(
            "application-autoscaling", "describe_scaling_policies", "ScalingPolicies",
            ServiceNamespace="dynamodb"))
        queued = aws.submit(lambda: aws.paginate(
            "application-autoscaling", "describe_scalable_targets", "ScalableTargets",
            ServiceNamespace="dynamodb"))
        assert first_page.wait(10)
        closing = threading.Thread(target=aws.close)
        closing.start()
        while not aws._closed:  # close() has begun: let the first page answer
            threading.Event().wait(0.001)
        go_on.set()
        closing.join(10)
    finally:
        remove()
    assert not closing.is_alive()
    with pytest.raises(Closed, match="describe_scaling_policies stopped after 1 page"):
        reading.result(timeout=0)
    assert queued.cancelled()
    assert aws.calls == {"application-autoscaling:DescribeScalingPolicies": 1}
