"""The emulator served on 127.0.0.1: the same behaviour through HTTP, for any boto3 program."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator.server import EmulatorServer, RemoteEmulator
from tests.emulator.helpers import alarm, canary, config, endpoint, model, status, variant


@pytest.fixture
def remote(server: str) -> Iterator[RemoteEmulator]:
    emu = RemoteEmulator(server)
    emu.reset()
    emu.unfreeze()
    emu.set_time_factor(0.001)
    yield emu
    emu.release_crash()


def test_a_plain_boto3_program_works_with_aws_endpoint_url(server: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", server)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    sm = boto3.client("sagemaker", region_name="us-east-1")  # no endpoint_url argument
    sm.create_model(ModelName="via-env", PrimaryContainer={"Image": "x"})
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["via-env"]


def test_served_update_and_silent_rollback(remote: RemoteEmulator) -> None:
    sm = remote.client("sagemaker")
    model(sm)
    config(sm, "c1", variant(count=2))
    config(sm, "c2", variant(count=2, instance="ml.g5.xlarge"))
    endpoint(remote, sm)
    remote.fail_next_update("ep", "silent_rollback", "health check failed")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2")
    remote.advance(10_000)
    desc = sm.describe_endpoint(EndpointName="ep")
    assert (desc["EndpointStatus"], desc["EndpointConfigName"], desc["FailureReason"]) == (
        "InService", "c1", "health check failed")


def test_served_alarm_rollback(remote: RemoteEmulator) -> None:
    sm, cw = remote.client("sagemaker"), remote.client("cloudwatch")
    model(sm)
    config(sm, "c1", variant(count=2))
    config(sm, "c2", variant(count=2, instance="ml.g5.xlarge"))
    endpoint(remote, sm)
    alarm(cw)
    assert cw.describe_alarms()["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="c2",
                       DeploymentConfig=canary(alarms=["errors"]))
    remote.advance(350)
    remote.hold_alarm_state("errors", "ALARM")  # the canary's errors keep it in ALARM
    assert status(sm) != "InService"  # rolling back; the status AWS shows is undocumented (rule 26)
    remote.release_alarm_state("errors")
    remote.advance(60)  # the next evaluation: no data, TreatMissingData missing
    assert cw.describe_alarms()["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"


def test_served_faults_and_counts(remote: RemoteEmulator) -> None:
    sm = remote.client("sagemaker")
    remote.inject("throttle", "sagemaker", "ListEndpoints", times=1)
    with pytest.raises(ClientError) as exc:
        sm.list_endpoints()
    assert exc.value.response["Error"]["Code"] == "ThrottlingException"
    sm.list_endpoints()
    assert remote.calls[("sagemaker", "ListEndpoints")] == 2


def test_served_crash_point(remote: RemoteEmulator) -> None:
    sm = remote.client("sagemaker")
    remote.arm_crash(1)
    done: list[str] = []
    thread = threading.Thread(target=lambda: done.append(model(sm, "held")), daemon=True)
    thread.start()
    assert remote.wait_for_crash(10) == "sagemaker:CreateModel"
    assert [m["ModelName"] for m in remote.client("sagemaker").list_models()["Models"]] == ["held"]
    assert done == []
    remote.release_crash()
    thread.join(10)
    assert done == ["held"]


def test_moto_reset_endpoint_clears_emulated_state(server: str, remote: RemoteEmulator) -> None:
    sm = remote.client("sagemaker")
    model(sm)
    config(sm, "c1")
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="c1")
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST"))
    assert sm.list_endpoints()["Endpoints"] == [] and sm.list_models()["Models"] == []


def test_unknown_control_is_a_404(server: str) -> None:
    request = urllib.request.Request(f"{server}/_sagectl/format_disk", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request)
    assert exc.value.code == 404
    assert json.loads(exc.value.read())["error"] == "no control 'format_disk'"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


COMMANDS = {  # the emulator's own command, and sagectl's: the same server
    "sagemaker-emulator": ([sys.executable, "-m", "sagemaker_emulator"], "sagemaker-emulator"),
    "sagectl": ([sys.executable, "-m", "reconciler", "emulator"], "sagectl emulator"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_emulator_serve_starts_and_stops_cleanly(stop: signal.Signals, command: str) -> None:
    port = _free_port()
    argv, name = COMMANDS[command]
    proc = subprocess.Popen([*argv, "serve", "--port", str(port), "--time-factor", "0.01"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert banner.startswith(f"{name} listening on http://127.0.0.1:{port}"), banner
        emu = RemoteEmulator(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 10
        while not emu.health():
            assert time.monotonic() < deadline
        emu.client("sagemaker").list_endpoints()
    finally:
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_every_service_sagectl_uses_is_served(remote: RemoteEmulator) -> None:
    c = remote.client
    assert c("sts").get_caller_identity()["Account"] == "123456789012"
    s3 = c("s3")
    s3.create_bucket(Bucket="defs")
    s3.put_object(Bucket="defs", Key="p.json", Body=b"{}")
    assert s3.get_object(Bucket="defs", Key="p.json")["Body"].read() == b"{}"
    c("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    ddb = c("dynamodb")
    ddb.create_table(TableName="leases", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.put_item(TableName="leases", Item={"pk": {"S": "ep"}},
                 ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as exc:  # a second lease on the same endpoint is refused
        ddb.put_item(TableName="leases", Item={"pk": {"S": "ep"}},
                     ConditionExpression="attribute_not_exists(pk)")
    assert exc.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    c("events").put_rule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)")
    assert c("events").list_rules()["Rules"][0]["Name"] == "nightly"
    c("scheduler").create_schedule(
        Name="nightly", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p",
                "RoleArn": "arn:aws:iam::123456789012:role/r"})
    assert c("scheduler").get_schedule(Name="nightly")["ScheduleExpression"] == "rate(1 day)"
    assert c("sns").create_topic(Name="done")["TopicArn"].endswith(":done")
    c("resourcegroupstaggingapi").get_resources()


def test_served_monitoring_execution_fault(remote: RemoteEmulator) -> None:
    from tests.emulator.monitoring_helpers import definition, schedule

    sm = remote.client("sagemaker")
    remote.freeze()
    definition(sm)
    schedule(sm)
    remote.fail_next_monitoring_execution("s1", "failed", "ClientError: served")
    remote.advance(2 * 3600)
    runs = sm.list_monitoring_executions(SortOrder="Ascending")["MonitoringExecutionSummaries"]
    assert runs[0]["MonitoringExecutionStatus"] == "Failed"
    assert runs[0]["FailureReason"] == "ClientError: served"


def test_each_hosts_backend_is_looked_up_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto finds a host's backend by listing its package directory; the served emulator keeps
    the answer (a fifth of its CPU per request went there)."""
    import moto.backends

    listed: list[int] = []
    original = moto.backends.list_of_moto_modules

    def counted() -> Iterator[str]:
        listed.append(1)
        return original()

    monkeypatch.setattr(moto.backends, "list_of_moto_modules", counted)
    with EmulatorServer(port=0, time_factor=0.001) as url:
        remote = RemoteEmulator(url)
        sts, sm = remote.client("sts"), remote.client("sagemaker")
        for _ in range(3):
            assert sts.get_caller_identity()["Account"] == "123456789012"
            sm.list_models()
    assert len(listed) == 2  # one per host (sts, api.sagemaker), not one per request (6)
