"""``sagectl apply``, ``unlock`` and ``history`` from the command line, against a served emulator
(``SAGECTL_EMULATOR_URL``): exit codes, JSON events, saved plans, leases, history."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sagemaker_emulator.server import RemoteEmulator
from tests.apply.test_apply import BASE, ENDPOINT, MODEL
from tests.plan.helpers import write

REGION, ACCOUNT = "eu-west-1", "111111111111"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def remote(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RemoteEmulator]:
    emu = RemoteEmulator(server, REGION)
    emu.reset()
    emu.unfreeze()
    emu.set_time_factor(0.001)
    monkeypatch.setenv("SAGECTL_EMULATOR_URL", server)
    yield emu
    emu.release_crash()


def events(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def json_output(out: str, err: str) -> list[dict[str, Any]]:
    """``apply --json``'s events: stdout holds them and nothing else (README "Output and exit
    codes"); stderr has the plain messages only."""
    assert not events(err), err
    assert all(line.startswith("{") for line in out.splitlines()), out
    return events(out)


def apply_json(cli: Cli, specs: Path, *extra: str) -> tuple[int, list[dict[str, Any]], str]:
    code, out, err = cli("apply", str(specs), "--env", "dev", "--auto-approve", "--json", *extra)
    return code, json_output(out, err), out + err


def test_apply_json_events_history_and_exit_codes(cli: Cli, remote: RemoteEmulator,
                                                  tmp_path: Path) -> None:
    specs = write(tmp_path, BASE)
    code, evs, err = apply_json(cli, specs)
    assert code == 0, err
    summary = evs[-1]
    assert summary["event"] == "summary" and summary["applied"] == 3 and summary["exit_code"] == 0
    assert {e["event"] for e in evs} >= {"start", "step", "status", "outcome"}

    # nothing to do: exit 0, no changes
    code, out, err = cli("apply", str(specs), "--env", "dev", "--auto-approve")
    assert code == 0 and "No changes." in out, (out, err)

    # a rolled-back deploy exits 4 and shows in the history
    write(tmp_path, {**BASE, "model.yaml": MODEL.replace(":1\n", ":2\n")})
    remote.fail_next_update("scorer", "silent_rollback")
    code, evs, err = apply_json(cli, specs)
    assert code == 4, err
    assert any(e["event"] == "rolled_back" for e in evs)
    code, out, err = cli("history", "scorer", str(specs), "--env", "dev")
    assert code == 0, err
    lines = out.splitlines()
    assert "rolled_back" in lines[0] and "applied" in lines[1], out

    # quarantined now: not applied (6) until forced
    code, evs, err = apply_json(cli, specs)
    assert code == 6 and "quarantined" in err, err
    code, evs, err = apply_json(cli, specs, "--force")
    assert code == 0, err


def test_apply_json_says_why_nothing_was_applied(cli: Cli, remote: RemoteEmulator,
                                                 tmp_path: Path) -> None:
    """A plan with errors: CI's log (the JSON events) carries the errors, not only the exit."""
    from tests.apply.test_crash import aws
    from tests.drift.test_drift import foreign_alarm

    served = aws(remote.endpoint_url or "")
    foreign_alarm(served.client("cloudwatch").put_metric_alarm)  # the specs' alarm, by hand
    served.close()
    specs = write(tmp_path, BASE)
    code, evs, err = apply_json(cli, specs)
    assert code == 1, err
    (refused,) = [e for e in evs if e["event"] == "plan_errors"]
    assert refused["message"] == "the plan has 1 error; nothing was applied", refused
    (error,) = refused["errors"]
    assert error["address"] == "Alarm.scorer-errors" and "not managed by sagectl" in \
        error["message"], error
    assert not any(e["event"] == "start" for e in evs)
    assert remote.client("sagemaker").list_models()["Models"] == []


def test_lease_held_then_unlock(cli: Cli, remote: RemoteEmulator, tmp_path: Path) -> None:
    from reconciler.apply.state import StateTable
    from tests.apply.test_crash import aws

    specs = write(tmp_path, BASE)
    assert apply_json(cli, specs)[0] == 0
    client = aws(remote.endpoint_url or "")
    StateTable(client, now=remote.now).acquire("scorer", "other-run", "runner@ci",
                                                seconds=10**6)  # a live run, heartbeating
    write(tmp_path, {**BASE, "endpoint.yaml": ENDPOINT.replace("initialVariantWeight: 90",
                                                                "initialVariantWeight: 80")})
    code, _evs, err = apply_json(cli, specs)
    assert code == 6 and "runner@ci" in err, err
    code, out, err = cli("unlock", "scorer", str(specs), "--env", "dev", "--reason", "run died")
    assert code == 0 and "runner@ci" in out, (out, err)
    from boto3.dynamodb.conditions import Key

    records = client.resource("dynamodb").Table("sagectl-state").query(
        KeyConditionExpression=Key("pk").eq("audit#scorer"))["Items"]
    assert [r["reason"] for r in records] == ["run died"]
    assert apply_json(cli, specs)[0] == 0
    client.close()


def test_stale_saved_plan_is_refused(cli: Cli, remote: RemoteEmulator, tmp_path: Path) -> None:
    specs = write(tmp_path, BASE)
    assert apply_json(cli, specs)[0] == 0
    write(tmp_path, {**BASE, "endpoint.yaml": ENDPOINT.replace("initialVariantWeight: 90",
                                                                "initialVariantWeight: 80")})
    saved = tmp_path / "plan.json"
    code, _, err = cli("plan", str(specs), "--env", "dev", "--out", str(saved))
    assert code == 0, err
    remote.scale_variant("scorer", "challenger", 3, region=REGION, account=ACCOUNT)
    code, out, err = cli("apply", str(saved), "--specs", str(specs))
    assert code == 1 and "stale" in err and "Endpoint.scorer" in err, (out, err)
    # an unchanged saved plan applies
    code, _, err = cli("plan", str(specs), "--env", "dev", "--out", str(saved))
    code, out, err = cli("apply", str(saved), cwd=tmp_path)
    assert code == 0, (out, err)


def test_without_a_terminal_apply_needs_auto_approve(cli: Cli, remote: RemoteEmulator,
                                                     tmp_path: Path) -> None:
    specs = write(tmp_path, BASE)
    code, out, err = cli("apply", str(specs), "--env", "dev")
    assert code == 1 and "--auto-approve" in err and "nothing was applied" in err
    assert "Plan: 3 to create" in out
    sm = remote.client("sagemaker", REGION)
    sm.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", ACCOUNT))
    assert sm.list_endpoints()["Endpoints"] == [] and sm.list_models()["Models"] == []


def test_history_without_a_state_table_is_a_clear_error(cli: Cli, remote: RemoteEmulator,
                                                        tmp_path: Path) -> None:
    specs = write(tmp_path, BASE)
    code, out, err = cli("history", "scorer", str(specs), "--env", "dev")
    assert code == 1, (out, err)
    assert "state table sagectl-state does not exist" in err and "Traceback" not in err


def test_applying_the_example_estate_on_the_embedded_emulator(
        cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sagectl apply specs/ --env dev --emulator --auto-approve` (the README's "Applying"
    example): the registry group, the pipeline with its schedule and its first run, models,
    endpoints and alarms are applied; the registry-backed challenger and its endpoint wait."""
    from tests.conftest import REPO

    assert "sagectl apply specs/ --env dev --emulator --auto-approve" in (
        REPO / "README.md").read_text()
    monkeypatch.delenv("SAGECTL_EMULATOR_URL", raising=False)
    code, out, err = cli("apply", "specs/", "--env", "dev", "--emulator", "--auto-approve",
                         "--json", cwd=REPO)
    evs = json_output(out, err)
    outcomes = {e["address"]: e["status"] for e in evs if e["event"] == "outcome"}
    assert code == 6, err
    assert outcomes["ModelPackageGroup.fraud-models"] == "applied"
    assert outcomes["Pipeline.fraud-training"] == "applied"
    assert outcomes["Model.fraud-scorer-challenger"] == "waiting"
    assert outcomes["Endpoint.fraud-scorer"] == "waiting"
    assert [a for a, s in outcomes.items() if s not in ("applied", "waiting")] == []
    assert outcomes["MonitoringSchedule.fraud-scorer-data-quality"] == "waiting"  # its endpoint
    assert sum(s == "applied" for s in outcomes.values()) == 15
    ops = [e.get("op") for e in evs if e["event"] == "step"
           and e["address"] == "Pipeline.fraud-training"]
    assert ops == ["sagemaker:CreatePipeline", "scheduler:CreateSchedule",
                   "sagemaker:StartPipelineExecution"]
    assert any(e["event"] == "verified" and e["address"] == "Pipeline.fraud-training"
               for e in evs)
