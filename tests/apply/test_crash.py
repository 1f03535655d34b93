"""An apply killed (SIGKILL) after every mutating API call it makes, then run again, converges:
the endpoint ends InService on the new config, verified and baked, with its autoscaling, and the
next plan is empty. Nothing owned is lost.

The emulator is served from this process; ``sagectl apply`` runs as a child process pointed at it
(``SAGECTL_EMULATOR_URL``). The emulator holds the response of the N-th mutating call once it has
taken effect; the test then kills the child, as a CI timeout or an OOM kill would.

One uninterrupted run (the reference) says how many mutating calls there are and which endpoint
config the apply ends on; it is made once per test session and shared by every worker. The crash
points are split between ``SHARDS`` runs of the test (every ``SHARDS``-th call each), which
pytest-xdist runs on different workers at once (this file is in ``SPREAD``, tests/conftest.py);
together they kill the apply after each of its mutating calls.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.apply.clock import EmulatorClock
from reconciler.apply.context import ApplyContext, ApplyOptions, Events
from reconciler.apply.stage import apply_plan, prepare
from reconciler.apply.state import StateTable, new_run_id
from reconciler.aws import Aws, AwsSettings
from reconciler.cli.registry import KINDS
from reconciler.plan.planner import make_plan
from reconciler.spec.load import load_specs
from sagemaker_emulator.server import RemoteEmulator
from tests.apply.test_apply import BASE, ENDPOINT, MODEL
from tests.plan.helpers import store_test_key, write

ACCOUNT, REGION = "111111111111", "eu-west-1"
REPO = Path(__file__).resolve().parents[2]
LEASE = 10**6
"""Seconds: so long that no lease is renewed during a run, so every run makes the same
mutating calls whatever the machine's speed (renewals follow the clock), and each crash point
is the same call in every run."""
SHARDS = 4
"""Runs of the test the crash points are split between (more than one per worker is no use)."""
# A change with every kind of step: a new model, the instance type of the autoscaled variant
# (deregister -> update -> register again), canary, bake, garbage collection.
CHANGED = {"model.yaml": MODEL.replace(":1\n", ":2\n"),
           "endpoint.yaml": ENDPOINT.replace("instanceType: ml.m5.large\n      initialInstanceCount: 2\n      initialVariantWeight: 90",
                                             "instanceType: ml.m5.xlarge\n      initialInstanceCount: 2\n      initialVariantWeight: 90")}


def aws(url: str) -> Aws:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)
    return Aws(AwsSettings(region=REGION, endpoint_url=url, account_header=ACCOUNT,
                           max_attempts=2), session=session)


def apply_here(url: str, specs: Path) -> set[str]:
    """sagectl's apply, in this process, against the served emulator."""
    client = aws(url)
    clock = EmulatorClock(RemoteEmulator(url, REGION))
    actx = ApplyContext(client, StateTable(client, now=clock.now), clock, new_run_id(), "test",
                        "0" * 40, Events(out=io.StringIO()), ApplyOptions())
    try:
        run = apply_plan(actx, prepare(actx, load_specs(specs, KINDS, "dev"), specs.parent))
        assert run.result is not None
        return {o.status for o in run.result.outcomes}
    finally:
        client.close()


def sagectl_apply(url: str, specs: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SAGECTL_EMULATOR_URL": url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(specs), "--env", "dev",
         "--auto-approve", "--json", "--lease-seconds", str(LEASE)], env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def seed(remote: RemoteEmulator, tmp_path: Path) -> Path:
    remote.reset()
    remote.unfreeze()
    client = aws(remote.endpoint_url or "")
    store_test_key(client, "dev")  # the same digest key (so the same names) after every reset
    client.close()
    specs = write(tmp_path, BASE)
    assert apply_here(remote.endpoint_url or "", specs) == {"applied"}
    return write(tmp_path, {**BASE, **CHANGED})


def converged(url: str, specs: Path) -> dict[str, Any]:
    client = aws(url)
    try:
        live = client.client("sagemaker").describe_endpoint(EndpointName="scorer")
        assert live["EndpointStatus"] == "InService", live
        plan = make_plan(load_specs(specs, KINDS, "dev"), client, specs.parent)
        assert not plan.resource_changes, [(c.address, c.action_reason, c.waits)
                                           for c in plan.resource_changes]
        targets = client.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="sagemaker")["ScalableTargets"]
        assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
            ("endpoint/scorer/variant/primary", 2, 6)]
        policies = client.client("application-autoscaling").describe_scaling_policies(
            ServiceNamespace="sagemaker")["ScalingPolicies"]
        assert [p["PolicyName"] for p in policies] == ["invocations"]
        return live  # type: ignore[no-any-return]
    finally:
        client.close()


def reference_run(url: str, tmp_path: Path) -> dict[str, Any]:
    """The apply of CHANGED after a seed, uninterrupted: its mutating calls and the endpoint
    config it converges to."""
    remote = RemoteEmulator(url, REGION)
    remote.set_time_factor(0.001)
    specs = seed(remote, tmp_path)
    start = remote.mutations
    child = sagectl_apply(url, specs)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, (out[-2000:], err[-2000:])
    total = remote.mutations - start
    return {"mutations": total, "config": converged(url, specs)["EndpointConfigName"]}


@pytest.fixture(scope="module")
def reference(server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``reference_run``, made once per test session: the first worker to need it makes it (on
    its own served emulator) and writes it where every worker of the session reads it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's directory, above each worker's own
    path = shared / "crash-reference.json"
    with (shared / "crash-reference.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not path.exists():
            made = reference_run(server, tmp_path_factory.mktemp("crash-reference"))
            path.write_text(json.dumps(made), encoding="utf-8")
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda shard: f"{shard + 1}of{SHARDS}")
def test_killed_after_every_mutating_call_then_rerun_converges(
        server: str, tmp_path: Path, reference: dict[str, Any], shard: int) -> None:
    """Killed after mutating calls shard + 1, shard + 1 + SHARDS, ... (every call over the
    SHARDS runs)."""
    remote = RemoteEmulator(server, REGION)
    remote.set_time_factor(0.001)
    total, expected = reference["mutations"], reference["config"]
    assert 10 <= total <= 80, total
    points = range(shard + 1, total + 1, SHARDS)

    crashed_at: list[str] = []
    beyond: list[int] = []
    for n in points:
        specs = seed(remote, tmp_path)
        before = remote.mutations
        remote.arm_crash(n, hold_timeout=120)
        child = sagectl_apply(server, specs)
        action = None
        for _ in range(240):
            action = remote.wait_for_crash(0.5)
            if action is not None or child.poll() is not None:
                break
        if action is None:
            # Lease heartbeats follow the wall clock, so a run on a loaded machine can make a
            # few mutating calls fewer than the reference run: the run must have finished, and
            # cleanly, before reaching call n, which then does not exist in it.
            out, err = child.communicate(timeout=60)
            made = remote.mutations - before
            assert child.returncode == 0 and made < n, (n, made, err[-2000:])
            beyond.append(n)
            remote.release_crash()
            remote.arm_crash(10**9)
            continue
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        remote.release_crash()
        crashed_at.append(action)
        remote.advance(LEASE + 1)  # the dead run's leases expire
        rerun = sagectl_apply(server, specs)
        out, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, (n, action, out[-3000:], err[-2000:])
        live = converged(server, specs)
        assert live["EndpointConfigName"] == expected, (n, action)
    assert len(crashed_at) + len(beyond) == len(points)
    # only the last 3 calls of the reference run may be missing from a run (so, over the
    # SHARDS runs, at most 3 points)
    assert all(n > total - 3 for n in beyond), beyond
    print(f"\ncrash points {', '.join(map(str, points))} of {total}: "
          f"{', '.join(crashed_at)}")
