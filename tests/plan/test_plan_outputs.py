"""Views of the plan: golden files, secrets, determinism, saved plans and staleness, the CLI.

Golden files live in tests/plan/golden/; after an intended change of the output, regenerate them
with ``UPDATE_GOLDEN=1 pytest tests/plan/test_plan_outputs.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli.registry import KINDS
from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.plan.model import Plan
from reconciler.plan.render import markdown, text
from reconciler.plan.saved import NotAPlan, plan_from_dict
from reconciler.plan.stale import stale
from reconciler.plan.vocabulary import Action
from sagemaker_emulator import Emulator
from sagemaker_emulator.server import EmulatorServer, RemoteEmulator
from tests.kinds.endpoint.test_plan_changes import BASE, ENDPOINT, MODEL
from tests.plan.helpers import IMAGE, aws_for, converge, one, plan, write

GOLDEN = Path(__file__).parent / "golden"
SECRET = "s3cr3t-value"


@pytest.fixture(autouse=True)
def fixed_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGECTL_GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567")


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == actual, f"{name} differs from its golden file"


def all_views(p: Plan) -> dict[str, str]:
    return {"txt": text.render(p), "md": markdown.render(p), "json": p.to_json()}


def create_and_update(emu: Emulator, tmp_path: Path) -> tuple[Plan, Plan]:
    emu.freeze()
    specs = write(tmp_path, BASE)
    created = plan(emu, specs)
    converge(emu, created)
    changed = {"model.yaml": MODEL.replace(f"{IMAGE}:1", f"{IMAGE}:2").replace(
        SECRET, "an0ther-s3cret"),
        "endpoint.yaml": ENDPOINT.replace("maxCapacity: 6", "maxCapacity: 8")}
    write(tmp_path, {**BASE, **changed})
    return created, plan(emu, specs)


def test_golden_files(emu: Emulator, tmp_path: Path) -> None:
    created, updated = create_and_update(emu, tmp_path)
    for label, p in (("create", created), ("update", updated)):
        for suffix, rendered in all_views(p).items():
            check_golden(f"{label}.{suffix}", rendered)


def test_secrets_never_appear(emu: Emulator, tmp_path: Path) -> None:
    created, updated = create_and_update(emu, tmp_path)
    for p in (created, updated):
        for rendered in all_views(p).values():
            assert SECRET not in rendered and "an0ther-s3cret" not in rendered
    model = next(c for c in updated.resource_changes if c.address == "Model.scorer-model")
    entry = next(d for d in model.diff if d.path == "primaryContainer.environment.API_KEY")
    assert (entry.before, entry.after) == ("(sensitive)", "(sensitive)")  # changed, not shown
    step = model.steps[0]
    assert step.params["PrimaryContainer"]["Environment"] == {"API_KEY": "(sensitive)"}
    assert step.request is not None and \
        step.request["PrimaryContainer"]["Environment"]["API_KEY"] == "an0ther-s3cret"


def test_plans_are_deterministic(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, BASE)
    first = plan(emu, specs)
    second = plan(emu, specs)
    for a, b in zip(all_views(first).values(), all_views(second).values(), strict=True):
        assert a == b
    converge(emu, first)
    changed = ENDPOINT.replace("initialVariantWeight: 10", "initialVariantWeight: 30")
    write(tmp_path, {**BASE, "endpoint.yaml": changed})
    assert plan(emu, specs).to_json() == plan(emu, specs).to_json()


def test_saved_plans_round_trip_and_go_stale(emu: Emulator, tmp_path: Path) -> None:
    emu.freeze()
    specs = write(tmp_path, BASE)
    converge(emu, plan(emu, specs))
    write(tmp_path, {**BASE, "endpoint.yaml": ENDPOINT.replace("initialVariantWeight: 10",
                                                               "initialVariantWeight: 30")})
    saved = plan_from_dict(json.loads(plan(emu, specs).to_json()), KINDS)
    assert saved.to_json() == plan(emu, specs).to_json()
    assert stale(saved, plan(emu, specs)) == []
    # someone changes the endpoint by hand between plan and apply
    sm = aws_for(emu).client("sagemaker")
    sm.update_endpoint_weights_and_capacities(EndpointName="scorer", DesiredWeightsAndCapacities=[
        {"VariantName": "primary", "DesiredWeight": 50}])
    emu.advance(3600)
    moved = stale(saved, plan(emu, specs))
    assert [(m.address, m.why) for m in moved] == [
        ("Endpoint.scorer", "its live state changed since the plan was made")]
    # and a changed spec makes every saved plan stale
    write(tmp_path, {**BASE, "endpoint.yaml": ENDPOINT.replace("team: fraud", "team: x")})
    assert stale(saved, plan(emu, specs))[0].address == "(specs)"


def test_saved_plans_refuse_other_format_versions(emu: Emulator, tmp_path: Path) -> None:
    data = json.loads(plan(emu, write(tmp_path, BASE)).to_json())
    data["format_version"] = 99
    with pytest.raises(ValueError, match="unsupported plan format_version 99"):
        plan_from_dict(data, KINDS)


def test_apply_data_round_trips_through_a_saved_plan(emu: Emulator, tmp_path: Path) -> None:
    """Typed on both sides: the kind's apply data, ``Action`` and ``Reason`` members."""
    created, updated = create_and_update(emu, tmp_path)
    for fresh in (created, updated):
        saved = plan_from_dict(json.loads(fresh.to_json()), KINDS)
        assert saved.to_json() == fresh.to_json()
        for a, b in zip(saved.resource_changes, fresh.resource_changes, strict=True):
            assert (type(a.apply_data), a.apply_data) == (type(b.apply_data), b.apply_data)
            assert (type(a.action_reason), a.action_reason) == (type(b.action_reason),
                                                                b.action_reason)
            assert a.actions == b.actions and {type(x) for x in a.actions} == {Action}
        assert stale(saved, fresh) == []
    data = EndpointApplyData.of(one(updated, "Endpoint.scorer"))
    assert data.new_config and data.spec_digest and data.instances_by_type
    assert data.expected_seconds and data.worst_case_seconds
    for change in created.resource_changes + updated.resource_changes:  # apply's alone
        assert not {"spec_digest", "quarantined_digest"} & set(change.consequences)


def test_a_plan_saved_in_format_1_is_refused_as_older(emu: Emulator, tmp_path: Path) -> None:
    data = json.loads(plan(emu, write(tmp_path, BASE)).to_json())
    data["format_version"] = 1
    for change in data["resource_changes"]:  # format 1 kept apply's values in consequences
        change["consequences"].update(change.pop("apply_data") or {})
    with pytest.raises(NotAPlan, match=r"^format_version 1: made by an older sagectl; re-run "
                                       r"plan \(this sagectl reads format_version 2\)$"):
        plan_from_dict(data, KINDS)


def test_markdown_stays_within_a_comment_and_says_what_was_cut(emu: Emulator,
                                                                tmp_path: Path) -> None:
    p = plan(emu, write(tmp_path, BASE))
    full = markdown.render(p)
    assert "```mermaid" in full and "<details>" in full
    assert full.index("| | Resource |") < full.index("<details><summary><code>")
    small = markdown.render(p, limit=len(full) // 2)
    assert len(small) <= len(full) // 2
    assert "change(s) were cut to fit a comment; the JSON plan (artifact) has all of them" \
        in small


def test_json_plan_shape(emu: Emulator, tmp_path: Path) -> None:
    data = json.loads(plan(emu, write(tmp_path, BASE)).to_json())
    assert list(data)[:6] == ["format_version", "env", "spec_digest", "git_commit", "region",
                              "account"]
    assert data["summary"] == {"create": 4, "update": 0, "replace": 0, "delete": 0,
                               "waiting": 0, "unchanged": 0, "errors": 0}
    change = data["resource_changes"][0]
    assert set(change) >= {"address", "kind", "name", "actions", "action_reason", "diff",
                           "steps", "consequences", "fingerprint"}
    assert all(set(d) == {"path", "before", "after"} for d in change["diff"])


# -- the CLI --------------------------------------------------------------------------------------

CLI = Callable[..., tuple[int, str, str]]


def test_cli_plan_against_the_embedded_emulator(cli: CLI, tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    out = tmp_path / "plan.json"
    code, stdout, _ = cli("plan", str(EXAMPLES), "--env", "prod", "--emulator",
                          "--detailed-exitcode", "--out", str(out))
    assert code == 2
    assert stdout.endswith("Plan: 21 to create, 0 to update, 0 to replace, 0 to delete. "
                           "(2 waiting: see below)\n")
    saved = json.loads(out.read_text())
    assert saved["env"] == "prod" and saved["account"] == "222222222222"
    assert saved["region"] == "eu-west-1"


def test_cli_exit_codes_and_formats(cli: CLI, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    specs = write(tmp_path, BASE)
    env_file = specs / "environments" / "dev.yaml"
    env_file.write_text(env_file.read_text().replace('  accountId: "111111111111"\n', ""))
    with EmulatorServer(port=0) as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        code, stdout, _ = cli("plan", str(specs), "--env", "dev", "--format", "json")
        assert code == 0 and json.loads(stdout)["summary"]["create"] == 4
        code, _, _ = cli("plan", str(specs), "--env", "dev", "--detailed-exitcode")
        assert code == 2
        remote = RemoteEmulator(url, region="eu-west-1")
        remote.freeze()
        from reconciler.apply.state import StateTable
        from reconciler.plan.digest_key import ensure_key
        from reconciler.plan.planner import make_plan
        from reconciler.spec.load import load_specs
        from reconciler.targets import Target, open_aws

        loaded = load_specs(specs, KINDS, "dev")
        with open_aws(loaded.environment, Target()) as aws:
            ensure_key(StateTable(aws), "dev")  # as apply does: plans then use the same names
            created = make_plan(loaded, aws, tmp_path)
        _converge_remote(remote, created)
        code, stdout, _ = cli("plan", str(specs), "--env", "dev", "--detailed-exitcode")
        assert (code, stdout.splitlines()[-1]) == (0, "No changes.")
        code, stdout, _ = cli("plan", str(specs), "--env", "dev", "--format", "markdown")
        assert code == 0 and stdout.startswith("### sagectl plan for `dev`\n\n**No changes.**")
    code, _, err = cli("plan", str(specs))
    assert code == 2 and "choose an environment with --env (dev)" in err
    (specs / "broken.yaml").write_text("apiVersion: sagectl/v1\nkind: Endpoint\n")
    code, _, err = cli("plan", str(specs), "--env", "dev", "--emulator")
    assert code == 1 and "nothing was planned" in err and "Traceback" not in err


def _converge_remote(remote: RemoteEmulator, p: Plan) -> None:
    for change in p.resource_changes:
        for step in change.steps:
            service, _, operation = step.op.partition(":")
            if service == "sagectl":
                if step.op == "sagectl:wait":
                    remote.advance(100_000)
                continue
            client = remote.client(service)
            method = {v: k for k, v in client.meta.method_to_api_mapping.items()}[operation]
            getattr(client, method)(**(step.request or step.params))
