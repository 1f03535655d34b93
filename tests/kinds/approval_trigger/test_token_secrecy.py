"""The GitHub token is read at apply time only and shown nowhere: `sagectl plan` (text, markdown,
JSON, a saved plan), `sagectl apply --format json` (its events), `sagectl drift`, and a failed
apply's error, run as a user runs them against a served emulator (the plan role's policy does not
allow reading it: test_iam.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.aws import Aws
from sagemaker_emulator.server import RemoteEmulator
from tests.apply.test_crash import aws as served_aws
from tests.kinds.approval_trigger.helpers import ROTATED, TOKEN, tree

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def remote(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    emu = RemoteEmulator(server, "eu-west-1")
    emu.reset()
    monkeypatch.setenv("SAGECTL_EMULATOR_URL", server)
    monkeypatch.setenv("SAGECTL_GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567")
    yield server


def put_secret(url: str, value: str) -> str:
    client: Aws = served_aws(url)
    try:
        sm = client.client("secretsmanager")
        try:
            return sm.create_secret(Name="github-dispatch",  # type: ignore[no-any-return]
                                    SecretString=value)["ARN"]
        except sm.exceptions.ResourceExistsException:
            sm.put_secret_value(SecretId="github-dispatch", SecretString=value)
            return sm.describe_secret(SecretId="github-dispatch")["ARN"]  # type: ignore[no-any-return]
    finally:
        client.close()


def test_the_token_appears_in_no_plan_event_report_or_error(cli: Cli, remote: str,
                                                            tmp_path: Path) -> None:
    specs = tree(tmp_path, put_secret(remote, TOKEN))
    shown = []
    saved = tmp_path / "plan.json"
    for fmt in ("text", "markdown", "json"):
        code, out, err = cli("plan", str(specs), "--env", "dev", "--format", fmt,
                             "--out", str(saved))
        assert code == 0, err
        shown += [out, err, saved.read_text()]
    assert "(sensitive) Bearer <token of arn:aws:secretsmanager:" in saved.read_text()
    code, out, err = cli("apply", str(saved), "--specs", str(specs), "--format", "json")
    assert code == 0, err
    shown += [out, err]
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(e.get("op") == "events:CreateConnection" for e in events)
    # a rotation: planned, applied, drift reports it; then an apply that fails after the token
    # was sent (its error and its undo must not show either token)
    put_secret(remote, ROTATED)
    for args in (("drift", str(specs), "--env", "dev", "--format", "json"),
                 ("plan", str(specs), "--env", "dev", "--format", "json"),
                 ("apply", str(specs), "--env", "dev", "--auto-approve", "--format", "json")):
        code, out, err = cli(*args)
        shown += [out, err]
    put_secret(remote, TOKEN)
    tree(tmp_path, put_secret(remote, TOKEN), "  eventType: model-approved\n")
    RemoteEmulator(remote, "eu-west-1").inject("denied", service="events", action="PutTargets")
    code, out, err = cli("apply", str(specs), "--env", "dev", "--auto-approve")
    assert code != 0 and "PutTargets" in out + err, out + err
    shown += [out, err]
    text = "\n".join(shown)
    assert TOKEN not in text and ROTATED not in text
    assert "ghp_" not in text and "github_pat_" not in text

