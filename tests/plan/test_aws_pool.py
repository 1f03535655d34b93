"""The bounded pool of ``reconciler.aws.Aws``: nested maps must not deadlock."""

from __future__ import annotations

import threading

import boto3

from reconciler.aws import Aws, AwsSettings


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
