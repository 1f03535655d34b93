"""Stopping an apply (issue 16): ``sagectl apply`` runs as a child process against a served
emulator and is stopped in the middle of an endpoint deploy, as a person at a terminal (SIGINT)
or a CI cancel (SIGTERM) stops it, or killed outright (SIGKILL).

The emulator's clock is frozen while the child runs, so the deploy it started stays in progress
for as long as the test needs, whatever the machine's speed: the test waits (polling, with a
generous upper bound) until the journal says the call went through and SageMaker reports the
endpoint busy, then sends the signal. The assertions are about what the run leaves: its exit
code, the "stopping" line, its leases (state table), its journal, and an immediate re-run that
resumes the deploy instead of waiting for the leases to expire.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr, Key

from reconciler.apply.state import STOPPED, LeaseHeld, StateTable
from reconciler.aws import Aws
from sagemaker_emulator.server import RemoteEmulator
from tests.apply.test_apply import BASE, ENDPOINT
from tests.apply.test_crash import CHANGED, REGION, REPO, apply_here, aws
from tests.plan.helpers import store_test_key, write

UPPER_BOUND = 120.0
"""Real seconds: only ever an upper bound for something that happens (never what is asserted)."""
UPDATED = {**BASE, **CHANGED}
"""A new model and instance type: an UpdateEndpoint (a canary deploy, then a bake)."""
WEIGHTS = {**BASE, "endpoint.yaml": ENDPOINT.replace("initialVariantWeight: 90",
                                                     "initialVariantWeight: 80")}
"""A new weight: an UpdateEndpointWeightsAndCapacities, nothing else."""


@pytest.fixture
def remote(server: str) -> Iterator[RemoteEmulator]:
    emu = RemoteEmulator(server, REGION)
    emu.reset()
    emu.unfreeze()
    emu.set_time_factor(0.001)
    client = aws(server)
    store_test_key(client, "dev")
    client.close()
    yield emu
    emu.release_crash()
    emu.arm_crash(10**9)
    emu.unfreeze()


@pytest.fixture
def client(remote: RemoteEmulator) -> Iterator[Aws]:
    made = aws(remote.endpoint_url or "")
    yield made
    made.close()


def start(url: str, specs: Path, *extra: str) -> subprocess.Popen[str]:
    """``sagectl apply`` as a child process (its own process group: a signal reaches it only)."""
    env = {**os.environ, "SAGECTL_EMULATOR_URL": url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", str(specs), "--env", "dev",
         "--auto-approve", *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True)


def until(what: Callable[[], Any], child: subprocess.Popen[str] | None, why: str) -> Any:
    """Poll ``what`` until it is truthy (``child``, if any, must still be running meanwhile)."""
    deadline = time.monotonic() + UPPER_BOUND
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        if child is not None and child.poll() is not None:
            out, err = child.communicate()
            pytest.fail(f"the apply ended (exit {child.returncode}) before {why}:\n"
                        f"{out[-2000:]}\n{err[-3000:]}")
        time.sleep(0.05)
    if child is not None:
        child.kill()
    pytest.fail(f"not within {UPPER_BOUND:.0f} s: {why}")


def in_flight(client: Aws, child: subprocess.Popen[str], operation: str, status: str) -> None:
    """Wait until the child's journal names ``operation`` and SageMaker says ``status``."""
    state = StateTable(client, create=False)

    def seen() -> bool:
        try:
            entry = state.journal("scorer")
        except Exception:  # the table does not exist yet
            return False
        if not entry or entry.get("operation") != operation:
            return False
        described = client.client("sagemaker").describe_endpoint(EndpointName="scorer")
        return bool(described["EndpointStatus"] == status)

    until(seen, child, f"{operation} was in flight")


def leases(client: Aws) -> list[dict[str, Any]]:
    table = client.resource("dynamodb").Table("sagectl-state")
    return list(table.scan(FilterExpression=Attr("pk").begins_with("lease#"))["Items"])


def audit(client: Aws, key: str) -> list[dict[str, Any]]:
    table = client.resource("dynamodb").Table("sagectl-state")
    return list(table.query(KeyConditionExpression=Key("pk").eq(f"audit#{key}"))["Items"])


def rerun(remote: RemoteEmulator, specs: Path) -> tuple[int, str]:
    """An apply right away: no simulated time passes for leases to expire in (the clock stays
    frozen while it plans and takes the leases; it then runs to let the deploy finish)."""
    child = start(remote.endpoint_url or "", specs)
    remote.unfreeze()
    out, err = child.communicate(timeout=300)
    return child.returncode, out + err


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_apply_releases_its_leases_and_the_next_run_resumes(
        remote: RemoteEmulator, client: Aws, tmp_path: Path, signum: int, code: int) -> None:
    """SIGINT stops an update of the endpoint, SIGTERM its creation (the first deploy)."""
    url = remote.endpoint_url or ""
    creating = signum == signal.SIGTERM
    if creating:
        specs = write(tmp_path, BASE)
    else:
        specs = write(tmp_path, BASE)
        assert apply_here(url, specs) == {"applied"}
        specs = write(tmp_path, UPDATED)
    operation = "CreateEndpoint" if creating else "UpdateEndpoint"
    remote.freeze()
    child = start(url, specs)
    in_flight(client, child, operation, "Creating" if creating else "Updating")
    child.send_signal(signum)
    out, err = child.communicate(timeout=UPPER_BOUND)
    assert child.returncode == code, (out[-2000:], err[-3000:])
    name = signal.Signals(signum).name
    stopping = err.index(f"{name} received: stopping")
    resume = err.index("Resume with: sagectl apply")
    assert stopping < resume, err
    assert "keep running on AWS" in err[stopping:resume], err
    assert "Apply:" not in out, out  # no summary: nothing was decided
    # the journal keeps the operation SageMaker is still doing
    state = StateTable(client, create=False)
    entry = state.journal("scorer")
    assert entry is not None and entry["phase"] == "updating" and \
        entry["operation"] == operation, entry
    # every lease this run took is released as stopped, and expired
    held = leases(client)
    assert held and all(item.get("stopped") == STOPPED for item in held), held
    assert all(float(item["expires"]) <= remote.now() for item in held), held
    # the next run takes them over at once and resumes the deploy
    rerun_code, said = rerun(remote, specs)
    assert rerun_code == 0, said[-4000:]
    doing = "creating the endpoint (CreateEndpoint)" if creating else \
        "updating the endpoint (UpdateEndpoint)"
    assert f"it stopped while {doing}" in said, said[-4000:]
    assert state.journal("scorer") is None
    assert client.client("sagemaker").describe_endpoint(
        EndpointName="scorer")["EndpointStatus"] == "InService"
    (takeover,) = [r for r in audit(client, "scorer") if r["sk"].endswith("#takeover")]
    assert takeover["removed"]["stopped"] == STOPPED and "stopped" in takeover["reason"], \
        takeover


def test_a_second_ctrl_c_exits_at_once_with_the_journal_kept(
        remote: RemoteEmulator, client: Aws, tmp_path: Path) -> None:
    """The first Ctrl-C's clean stop is held up (the emulator holds the response of its next
    write, the release of a lease): a second Ctrl-C exits at once anyway."""
    url = remote.endpoint_url or ""
    specs = write(tmp_path, BASE)
    assert apply_here(url, specs) == {"applied"}
    specs = write(tmp_path, WEIGHTS)
    remote.freeze()  # no simulated time passes: the child makes no write until it is stopped
    child = start(url, specs)
    in_flight(client, child, "UpdateEndpointWeightsAndCapacities", "Updating")
    remote.arm_crash(1, hold_timeout=UPPER_BOUND)
    child.send_signal(signal.SIGINT)
    held = remote.wait_for_crash(UPPER_BOUND)
    assert held is not None and child.poll() is None, held  # stuck in its clean stop
    child.send_signal(signal.SIGINT)
    _out, err = child.communicate(timeout=UPPER_BOUND)
    remote.release_crash()
    assert child.returncode == 130, err[-3000:]
    assert "SIGINT received again: exiting now" in err, err
    state = StateTable(client, now=remote.now)
    entry = state.journal("scorer")
    assert entry is not None and entry["operation"] == "UpdateEndpointWeightsAndCapacities", \
        entry
    # a live run (this process) holds the endpoint meanwhile, and the update finishes: the
    # re-run cannot resume, and says so (never "No changes."), naming sagectl unlock
    state.acquire("scorer", "live-run", "someone@here", 10**6, "Endpoint.scorer")
    remote.unfreeze()
    until(lambda: client.client("sagemaker").describe_endpoint(EndpointName="scorer")[
        "EndpointStatus"] == "InService", None, "the update finished")
    blocked = start(url, specs)
    out, err = blocked.communicate(timeout=UPPER_BOUND)
    assert blocked.returncode == 6, (out[-2000:], err[-3000:])
    assert "No changes." not in out and out.endswith("Apply: 1 waiting.\n"), out
    assert "not resumed: Endpoint.scorer is being changed by someone@here" in err and \
        "`sagectl unlock Endpoint.scorer` removes its lease" in err, err
    state.release("scorer", "live-run")
    code, said = rerun(remote, specs)
    assert code == 0, said[-4000:]
    assert "it stopped while changing the endpoint's weights and capacities" in said, said


def test_a_killed_run_s_leases_are_taken_over_at_once_on_its_host(
        remote: RemoteEmulator, client: Aws, tmp_path: Path) -> None:
    """SIGKILL (an OOM kill): nothing is released, but the holder's process is gone from this
    host, so the next run takes its leases over without waiting for them to expire."""
    url = remote.endpoint_url or ""
    specs = write(tmp_path, BASE)
    assert apply_here(url, specs) == {"applied"}
    specs = write(tmp_path, UPDATED)
    remote.freeze()
    child = start(url, specs)
    in_flight(client, child, "UpdateEndpoint", "Updating")
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=UPPER_BOUND)
    held = {item["pk"]: item for item in leases(client)}
    lease = held["lease#scorer"]
    assert float(lease["expires"]) > remote.now() and "stopped" not in lease, lease
    assert int(lease["pid"]) == child.pid, lease
    code, said = rerun(remote, specs)
    assert code == 0, said[-4000:]
    (takeover,) = [r for r in audit(client, "scorer") if r["sk"].endswith("#takeover")]
    assert f"process {child.pid} on this host" in takeover["reason"] and \
        "no longer exists" in takeover["reason"], takeover


def test_dead_holder_is_taken_over_live_or_remote_holders_are_not(
        remote: RemoteEmulator, client: Aws) -> None:
    state = StateTable(client, now=remote.now)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        table = client.resource("dynamodb").Table("sagectl-state")
        state.acquire("a", "run-dead", "ci@here", seconds=10**6)
        state.acquire("b", "run-alive", "ci@here", seconds=10**6)
        state.acquire("c", "run-remote", "ci@there", seconds=10**6)
        for key, pid in (("a", dead.pid), ("b", alive.pid)):
            table.update_item(Key={"pk": f"lease#{key}", "sk": "lease"},
                              UpdateExpression="SET pid = :pid",
                              ExpressionAttributeValues={":pid": pid})
        table.update_item(Key={"pk": "lease#c", "sk": "lease"},
                          UpdateExpression="SET host = :h, pid = :pid",
                          ExpressionAttributeValues={":h": "another-host", ":pid": dead.pid})
        state.acquire("a", "run-new", "me@here", seconds=900)
        assert state.lease("a")["run_id"] == "run-new"  # type: ignore[index]
        (record,) = audit(client, "a")
        assert record["sk"].endswith("#takeover") and record["run_id"] == "run-new" and \
            record["removed"]["run_id"] == "run-dead" and \
            f"process {dead.pid} on this host" in record["reason"], record
        for key, holder in (("b", "run-alive"), ("c", "run-remote")):
            with pytest.raises(LeaseHeld) as held:
                state.acquire(key, "run-new", "me@here", seconds=900)
            assert held.value.holder["run_id"] == holder
            assert f"`sagectl unlock {key}` removes its lease" in str(held.value)
            assert audit(client, key) == []
    finally:
        alive.kill()
        alive.wait()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        remote: RemoteEmulator) -> Callable[..., tuple[int, str, str]]:
    from reconciler.cli.main import main

    monkeypatch.setenv("SAGECTL_EMULATOR_URL", remote.endpoint_url or "")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_unlock_several_and_all(cli: Callable[..., tuple[int, str, str]],
                                remote: RemoteEmulator, client: Aws, tmp_path: Path) -> None:
    specs = write(tmp_path, BASE)
    assert apply_here(remote.endpoint_url or "", specs) == {"applied"}
    state = StateTable(client, now=remote.now)
    for key in ("scorer", "Model.scorer-model", "Alarm.scorer-errors", "elsewhere"):
        state.acquire(key, "other-run", "runner@ci", seconds=10**6)
    code, out, err = cli("unlock", "scorer", "Model.scorer-model", str(specs), "--env", "dev",
                         "--reason", "run died")
    assert code == 0, err
    assert out.count("removed the lease of runner@ci (run other-run)") == 2, out
    assert state.lease("scorer") is None and state.lease("Model.scorer-model") is None
    assert [r["reason"] for r in audit(client, "Model.scorer-model")] == ["run died"]
    code, out, err = cli("unlock", "--all", str(specs), "--env", "dev")
    assert code == 0, err
    assert out.splitlines() == ["removed the lease of runner@ci (run other-run) on "
                                "Alarm.scorer-errors; audit record written"], out
    assert state.lease("Alarm.scorer-errors") is None
    assert state.lease("elsewhere") is not None  # not a resource of the environment
    assert [r["reason"] for r in audit(client, "Alarm.scorer-errors")] == ["unlocked by hand"]
    code, out, err = cli("unlock", "--all", str(specs), "--env", "dev")
    assert code == 0 and out == "no resource of the environment is locked\n", (out, err)
    code, out, err = cli("unlock", "--all", "scorer", str(specs), "--env", "dev")
    assert code == 2 and "not both" in err, err
    code, out, err = cli("unlock", str(specs), "--env", "dev")
    assert code == 2 and "--all" in err, err



def test_a_plan_never_reads_no_changes_while_a_resume_waits() -> None:
    """The re-run's plan may well be empty (the stopped update finished on AWS meanwhile) while
    the journal's change could not be resumed: the plan then says it is not applied."""
    from reconciler.apply.context import APPLIED, WAITING, Outcome
    from reconciler.cli.apply import _unless_unfinished

    rendered = "sagectl plan: environment dev\n\n3 resource(s) unchanged.\nNo changes.\n"
    said = _unless_unfinished(rendered, [Outcome("Endpoint.a", WAITING, "not resumed: ..."),
                                         Outcome("Endpoint.b", APPLIED)])
    assert "No changes." not in said and said.endswith(
        "Nothing more to plan, but Endpoint.a was left in flight by an earlier run and is not "
        "finished (see above): not applied.\n"), said
    assert _unless_unfinished(rendered, [Outcome("Endpoint.b", APPLIED)]) == rendered
