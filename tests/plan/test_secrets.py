"""Digests do not disclose secrets (issue 13).

Container environment values and sensitive pipeline parameters are never shown, and no plan
artifact, tag or name lets a guessed value be confirmed offline: every digest that covers one is
keyed with the environment's digest key (reconciler/plan/digest_key.py). The tests play the
attacker: recompute the plain sha256 sagectl used to compute, with the guess, and look for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.plan.model import SENSITIVE, Plan, digest
from reconciler.plan.planner import spec_digest
from reconciler.plan.render import markdown, text
from reconciler.plan.saved import plan_from_dict
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from sagemaker_emulator.server import RemoteEmulator
from tests.apply.test_crash import aws as served_aws
from tests.kinds.endpoint.test_plan_changes import ALARM, MODEL
from tests.plan.helpers import ROLE, aws_for, one, plan, write

GUESS = "hunter2"
SECRET_MODEL = MODEL.replace('API_KEY: "s3cr3t-value"', f'DB_PASSWORD: "{GUESS}"')
PLAIN_MODEL = MODEL.replace('environment: {API_KEY: "s3cr3t-value"}', "mode: SingleModel")
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def fixed_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGECTL_GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567")


@pytest.fixture
def remote(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    emu = RemoteEmulator(server, "eu-west-1")
    emu.reset()
    monkeypatch.setenv("SAGECTL_EMULATOR_URL", server)
    yield server


# -- the attacker -------------------------------------------------------------------------------
def _guessed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _guessed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_guessed(v) for v in value]
    return GUESS if value == SENSITIVE else value


def candidates(artifact: dict[str, Any], specs: Path) -> set[str]:
    """Every digest sagectl computed with plain sha256 over the secret, recomputed with the
    guess from what the artifact shows (and the specs, which hold all but the secret)."""
    found = {spec_digest(load_specs(specs, KINDS, "dev"))}  # the guess is right: these are the specs
    for change in artifact["resource_changes"]:
        for step in change["steps"]:
            if step["op"] != "sagemaker:CreateModel":
                continue
            params = _guessed(step["params"])
            request = {k: v for k, v in params.items() if k not in ("ModelName", "Tags")}
            old_name = f"{change['name']}-{digest({'env': 'dev', 'request': request})[:8]}"
            old_tags = [{**t, "Value": digest(request)[:32]} if t["Key"] == "sagectl:spec-digest"
                        else t for t in params["Tags"]]
            found |= {digest(params), digest(request), digest({"env": "dev", "request": request}),
                      digest({**params, "ModelName": old_name, "Tags": old_tags})}
    return found


def confirms(found: set[str], *texts: str) -> list[str]:
    """The recomputed digests (or the 32 and 8 character prefixes sagectl used) in ``texts``."""
    return sorted(c[:n] for c in found for n in (64, 32, 8) for t in texts if c[:n] in t)


def live_names_and_tags(url: str) -> tuple[list[str], list[str]]:
    aws = served_aws(url)
    try:
        names = [m["ModelName"] for m in aws.client("sagemaker").list_models()["Models"]]
        tagged = aws.client("resourcegroupstaggingapi").get_resources()["ResourceTagMappingList"]
        return names, [t["Value"] for r in tagged for t in r.get("Tags", [])]
    finally:
        aws.close()


def test_a_guess_cannot_be_confirmed_from_plans_saved_plans_tags_or_names(
        cli: Cli, remote: str, tmp_path: Path) -> None:
    specs = write(tmp_path, {"model.yaml": SECRET_MODEL})
    artifacts = []
    for label in ("fresh", "applied"):  # before the environment's key exists, and after
        saved = tmp_path / f"{label}.json"
        code, shown, err = cli("plan", str(specs), "--env", "dev", "--format", "json",
                               "--out", str(saved))
        assert code == 0, err
        artifacts += [shown, saved.read_text()]
        code, _, err = cli("apply", str(specs), "--env", "dev", "--auto-approve")
        assert code == 0, err
        specs = write(tmp_path, {"model.yaml": SECRET_MODEL.replace(":1", ":2")})
    names, tags = live_names_and_tags(remote)
    assert len(names) == 2 and tags

    assert all(GUESS not in a for a in artifacts)
    for artifact in artifacts:
        found = candidates(json.loads(artifact), specs)
        assert confirms(found, *artifacts) == []
        assert confirms(found, *names) == []
        assert confirms(found, *tags) == []


def test_saved_plans_need_the_environments_key(cli: Cli, remote: str, tmp_path: Path) -> None:
    specs = write(tmp_path, {"model.yaml": SECRET_MODEL})
    # a fresh environment: no digest key yet, so the plan uses a provisional one
    first = tmp_path / "first.json"
    code, shown, err = cli("plan", str(specs), "--env", "dev", "--format", "json",
                           "--out", str(first))
    assert code == 0, err
    assert json.loads(shown)["digest_key"] == "provisional"
    for view in ("text", "markdown"):  # and every view says so, before the changes
        code, shown, err = cli("plan", str(specs), "--env", "dev", "--format", view)
        assert code == 0, err
        note = shown.index("no digest key yet (the first apply creates it in the state table)")
        assert note < shown.index("Model.scorer-model"), shown
    # ... which apply refuses to apply (and creates the environment's key)
    code, _, err = cli("apply", str(first), "--specs", str(specs))
    assert code == 1 and "plan again now that the environment's digest key exists" in err, err
    assert live_names_and_tags(remote)[0] == []
    # planned again with the environment's key, the saved plan applies, with the names it shows
    saved = tmp_path / "saved.json"
    code, shown, err = cli("plan", str(specs), "--env", "dev", "--format", "json",
                           "--out", str(saved))
    assert code == 0 and json.loads(shown)["digest_key"] == "environment", err
    code, _, err = cli("apply", str(saved), "--specs", str(specs))
    assert code == 0, err
    planned = one(plan_from_dict(json.loads(saved.read_text()), KINDS), "Model.scorer-model")
    assert live_names_and_tags(remote)[0] == [planned.consequences["aws_name"]]
    assert cli("plan", str(specs), "--env", "dev")[1].strip().endswith("No changes.")


def test_each_environment_has_its_own_key_created_once(emu: Emulator) -> None:
    from reconciler.apply.state import StateTable
    from reconciler.plan.digest_key import ensure_key, read_key

    aws = aws_for(emu)
    try:
        state = StateTable(aws)
        assert read_key(aws, state.name, "dev") is None  # no table yet
        dev, prod = ensure_key(state, "dev"), ensure_key(state, "prod")
        assert dev.secret != prod.secret and len(dev.secret) == len(prod.secret) == 32
        assert ensure_key(state, "dev") == dev == read_key(aws, state.name, "dev")
        assert dev.secret.hex() not in repr(dev)
    finally:
        aws.close()


def test_without_a_key_plans_are_provisional_and_read_only(emu: Emulator, tmp_path: Path
                                                           ) -> None:
    from reconciler.plan.planner import make_plan

    specs = write(tmp_path, {"model.yaml": SECRET_MODEL})
    aws = aws_for(emu)
    try:
        plans = [make_plan(load_specs(specs, KINDS, "dev"), aws, tmp_path) for _ in range(2)]
        assert aws.client("dynamodb").list_tables()["TableNames"] == []  # plan creates nothing
    finally:
        aws.close()
    assert [p.digest_key for p in plans] == ["provisional", "provisional"]
    first, second = (one(p, "Model.scorer-model").consequences["aws_name"] for p in plans)
    assert first != second  # a random key each time: such a plan can never be applied as saved
    kept = plan(emu, specs)  # the environment's key exists now
    assert kept.digest_key == "environment" and kept.reads["dynamodb:GetItem"] == 1
    assert plan_from_dict(json.loads(kept.to_json()), KINDS).digest_key == "environment"
    assert plan(emu, specs).to_json() == kept.to_json()


def test_models_without_environment_values_keep_plain_names(emu: Emulator, tmp_path: Path
                                                            ) -> None:
    p = plan(emu, write(tmp_path, {"model.yaml": PLAIN_MODEL}))
    change = one(p, "Model.scorer-model")
    step = change.steps[0]
    request = {k: v for k, v in step.params.items() if k not in ("ModelName", "Tags")}
    hashed = digest({"env": "dev", "request": request})[:8]
    assert change.consequences["aws_name"] == f"scorer-model-{hashed}"
    assert step.request_digest == digest(step.params)
    assert p.digest_key is None and "dynamodb:GetItem" not in p.reads


def test_a_model_named_by_a_plain_digest_is_renamed_with_the_reason(emu: Emulator,
                                                                    tmp_path: Path) -> None:
    from reconciler.kinds.model.plan import RENAMED

    specs = write(tmp_path, {"model.yaml": SECRET_MODEL})
    created = one(plan(emu, specs), "Model.scorer-model").steps[0]
    assert created.request is not None
    # the model as a sagectl without keyed digests made it: plain hash in name and tag
    request = {k: v for k, v in created.request.items() if k not in ("ModelName", "Tags")}
    old = f"scorer-model-{digest({'env': 'dev', 'request': request})[:8]}"
    tags = [{**t, "Value": digest(request)[:32]} if t["Key"] == "sagectl:spec-digest" else t
            for t in created.request["Tags"]]
    aws = aws_for(emu)
    try:
        aws.client("sagemaker").create_model(ModelName=old, **request, Tags=tags)
    finally:
        aws.close()
    change = one(plan(emu, specs), "Model.scorer-model")
    assert change.action_reason == "new_version" and change.diff == []
    assert RENAMED in change.consequences["summary"]
    assert RENAMED.startswith("renamed: digests covering environment values are now keyed")
    assert change.consequences["aws_name"] != old


# -- validation messages ------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_validation_never_shows_a_sensitive_value(cli: Cli, tmp_path: Path, fmt: str) -> None:
    bad = MODEL.replace('API_KEY: "s3cr3t-value"', "DB_PASSWORD: 12345")
    specs = write(tmp_path, {"model.yaml": bad, "other.yaml": SECRET_MODEL.replace(
        "scorer-model", "other").replace(f'{{DB_PASSWORD: "{GUESS}"}}', "hunter2-as-text")})
    code, out, err = cli("validate", str(specs), "--format", fmt)
    assert code == 1
    assert "12345" not in out + err and GUESS not in out + err
    assert "expected a string, got a number (quote it to make it a string)" in out + err
    assert "expected a mapping, got a string" in out + err
    assert "the value is not shown (sensitive)" in out + err
    if fmt == "text":
        assert "model.yaml:8:32: error: spec.primaryContainer.environment.DB_PASSWORD:" in err


# -- sensitive pipeline parameters --------------------------------------------------------------
PIPELINE_SECRETS = ("p1peline-s3cret", "def4ult-s3cret", "sched-s3cret", "st4rt-s3cret")
PIPELINE = f"""
apiVersion: sagectl/v1
kind: Pipeline
metadata: {{name: training}}
spec:
  roleArn: {ROLE}
  pipelineDefinition:
    Version: "2020-12-01"
    Parameters:
      - {{Name: DbPassword, Type: String, DefaultValue: def4ult-s3cret}}
      - {{Name: InputData, Type: String, DefaultValue: "s3://b/raw/"}}
    Steps:
      - Name: Prepare
        Type: Processing
        Arguments:
          Environment: {{DB_PASSWORD: {{Get: Parameters.DbPassword}}}}
          ProcessingInputs: [{{InputName: raw, S3Input: {{S3Uri: {{Get: Parameters.InputData}}}}}}]
  parameters: {{DbPassword: p1peline-s3cret, InputData: "s3://b/in/"}}
  sensitiveParameters: [DbPassword]
  schedule:
    scheduleExpression: rate(1 day)
    roleArn: {ROLE}
    parameters: {{DbPassword: sched-s3cret, InputData: "s3://b/in/"}}
  startOnChange:
    parameters: {{DbPassword: st4rt-s3cret}}
"""


def views(p: Plan) -> list[str]:
    return [text.render(p), markdown.render(p), p.to_json()]


def test_sensitive_pipeline_parameters_are_hidden_everywhere_and_keyed(
        emu: Emulator, tmp_path: Path) -> None:
    from tests.apply.helpers import apply

    emu.freeze()
    specs = write(tmp_path, {"pipeline.yaml": PIPELINE})
    created = plan(emu, specs)
    assert created.digest_key == "environment"
    change = one(created, "Pipeline.training")
    requests = [s.request or s.params for s in change.steps]
    assert all(s in json.dumps(requests) for s in PIPELINE_SECRETS[1:])  # apply sends them
    for view in views(created):
        assert not [s for s in PIPELINE_SECRETS if s in view], view
    assert "DbPassword=(sensitive)" in "\n".join(change.consequences["summary"])
    # keyed: sha256 of each full request (the guesses all right) is nowhere in the plan
    plain = {digest(r) for r in requests}
    assert confirms(plain, created.to_json()) == []

    applied = apply(emu, specs)
    assert applied.result is not None and applied.result.worst == "applied"
    aws = aws_for(emu)
    try:
        live = aws.client("sagemaker").describe_pipeline(PipelineName="training")
        schedule = aws.client("scheduler").get_schedule(Name="sagectl-training")
    finally:
        aws.close()
    assert "def4ult-s3cret" in live["PipelineDefinition"]
    assert "sched-s3cret" in json.dumps(schedule["Target"])

    # a changed secret is a change, shown without its values
    write(tmp_path, {"pipeline.yaml": PIPELINE.replace("sched-s3cret", "sched-s3cret-2")
                     .replace("def4ult-s3cret", "def4ult-s3cret-2")})
    updated = one(plan(emu, specs), "Pipeline.training")
    shown = {d.path: (d.before, d.after) for d in updated.diff}
    assert shown["pipelineDefinition.Parameters[DbPassword].DefaultValue"] == (SENSITIVE,) * 2
    assert shown["schedule.parameters.DbPassword"] == (SENSITIVE,) * 2
    assert not any(s in json.dumps([s.params for s in updated.steps])
                   for s in (*PIPELINE_SECRETS, "sched-s3cret-2", "def4ult-s3cret-2"))
    # the undo restores the secrets that were live: sent by apply, never shown
    undo = [u for s in updated.steps for u in s.undo]
    assert {u.op for u in undo} >= {"sagemaker:UpdatePipeline", "scheduler:UpdateSchedule"}
    assert "def4ult-s3cret" in json.dumps([u.request for u in undo])
    assert "sched-s3cret" in json.dumps([u.request for u in undo])
    assert not any(s in json.dumps([u.params for u in undo]) for s in PIPELINE_SECRETS)
    assert SENSITIVE in json.dumps([u.params for u in undo])

    # a pipeline that left the specs: no spec says which parameters are sensitive, so the undo
    # of its schedule's deletion shows none of them
    write(tmp_path, {"alarm.yaml": ALARM})
    pruned = plan(emu, specs, prune=True)
    deleted = one(pruned, "Pipeline.training")
    (schedule,) = [u for s in deleted.steps for u in s.undo]
    assert schedule.op == "scheduler:CreateSchedule" and schedule.request is not None
    assert "sched-s3cret" in json.dumps(schedule.request)
    for view in views(pruned):
        assert not [s for s in PIPELINE_SECRETS if s in view], view
    assert "s3://b/in/" not in json.dumps(schedule.params)


def test_sensitive_parameters_must_be_declared_once(cli: Cli, tmp_path: Path) -> None:
    broken = PIPELINE.replace("sensitiveParameters: [DbPassword]",
                              "sensitiveParameters: [DbPassword, DbPassword, Token]")
    code, _, err = cli("validate", str(write(tmp_path, {"pipeline.yaml": broken})))
    assert code == 1
    assert "spec.sensitiveParameters[1]: 'DbPassword' is listed twice" in err
    assert ("spec.sensitiveParameters[2]: sensitive parameter 'Token' is not declared in the "
            "definition's Parameters (declared: DbPassword, InputData)") in err
