"""Saved plans are verified, not trusted (issue 13).

``sagectl apply plan.json`` re-plans and applies only what was reviewed: a file that is not a
saved plan is refused with one line, a plan whose steps were edited after it was made is refused
naming the resource and the field, and every registry pin is checked again (the package still
exists, in its group, account and region, and is still Approved). A refusal changes nothing.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from reconciler.cli.registry import KINDS
from reconciler.plan.saved import NotAPlan, plan_from_dict
from reconciler.plan.stale import stale
from sagemaker_emulator import Emulator
from sagemaker_emulator.server import RemoteEmulator
from tests.apply.helpers import apply, statuses
from tests.apply.test_apply import BASE
from tests.apply.test_crash import aws as served_aws
from tests.cli import test_cli_apply
from tests.kinds.endpoint.test_plan_changes import MODEL
from tests.kinds.pipeline.test_apply import REGISTRY_MODEL, register, sm
from tests.plan.helpers import IMAGE, plan, write

REGION, ACCOUNT = "eu-west-1", "111111111111"
PIN = "registry:fraud-models:latestApproved"
remote = test_cli_apply.remote  # a fixture: the served emulator, reset
Cli = Callable[..., tuple[int, str, str]]
Edit = Callable[[dict[str, Any]], None]


def change(data: dict[str, Any], address: str) -> dict[str, Any]:
    (found,) = [c for c in data["resource_changes"] if c["address"] == address]
    return found  # type: ignore[no-any-return]


def nothing_created(emu: Emulator) -> bool:
    client = sm(emu)
    return client.list_models()["Models"] == [] and client.list_endpoints()["Endpoints"] == []


# -- 3. files that are not saved plans ----------------------------------------------------------

def _without(key: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for c in data["resource_changes"]:
            c.pop(key)
    return edit


def _format_1(data: dict[str, Any]) -> None:
    """The plan as the sagectl before format 2 saved it: what apply needs in consequences."""
    data["format_version"] = 1
    for c in data["resource_changes"]:
        c["consequences"].update({k: v for k, v in (c.pop("apply_data") or {}).items()
                                  if v is not None})


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return edit


NOT_PLANS: dict[str, tuple[bytes | Callable[[dict[str, Any]], None] | None, str]] = {
    "null": (b"null", "a JSON object was expected, not null"),
    "array": (b"[1, 2, 3]", "a JSON object was expected, not an array"),
    "string": (b'"plan"', "a JSON object was expected, not a string"),
    "empty object": (b"{}", "it has no format_version"),
    "empty file": (b"", "invalid JSON: Expecting value"),
    "other format_version": (b'{"format_version": 3}', "unsupported plan format_version 3"),
    "format_version as text": (b'{"format_version": "1"}',
                               "unsupported plan format_version '1'"),
    "format_version true": (b'{"format_version": true}', "unsupported plan format_version True"),
    "100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nested more than 256 levels deep"),
    "500 deep": (b'{"format_version": 1, "x": ' + b"[" * 500 + b"]" * 500 + b"}",
                 "nested more than 256 levels deep"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
    "NaN": (b'{"format_version": NaN}', "invalid JSON: NaN is not a JSON number"),
    "missing file": (None, "no such file"),
    "directory": (None, "it is a directory"),
    "named pipe": (None, "not a regular file"),
    "larger than 64 MiB": (b" " * (64 * 2**20 + 1), "larger than 64 MiB"),
    "older sagectl, no depends_on": (_without("depends_on"),
                                     "resource_changes[0] has no depends_on (a plan saved by an "
                                     "older sagectl? make the plan again)"),
    "older sagectl, no request_digest": (
        lambda d: d["resource_changes"][0]["steps"][0].pop("request_digest"),
        "resource_changes[0].steps[0] has no request_digest"),
    "older sagectl, no pins": (lambda d: d.pop("pins"), "the plan has no pins"),
    "unknown field": (_set(("resource_changes", 1, "steps", 0, "extra"), 1),
                      "resource_changes[1].steps[0] has an unknown field 'extra'"),
    "summary null": (_set(("summary",), None), "summary should be an object, not null"),
    "a change that is null": (_set(("resource_changes", 0), None),
                              "resource_changes[0] should be an object, not null"),
    "address as a list": (_set(("resource_changes", 0, "address"), ["Model.x"]),
                          "resource_changes[0].address should be a string, not an array"),
    "count as a float": (_set(("reads", "sagemaker:ListModels"), 1.5),
                         "reads.sagemaker:ListModels should be an integer, not a number"),
    "pins as a list": (_set(("pins",), []), "pins should be an object, not an array"),
    "format_version 1": (b'{"format_version": 1}',
                         "format_version 1: made by an older sagectl; re-run plan"),
    "a plan saved in format 1": (_format_1, "format_version 1: made by an older sagectl; re-run "
                                            "plan (this sagectl reads format_version 2)"),
    "an action not in the vocabulary": (
        _set(("resource_changes", 0, "actions"), ["destroy"]),
        'resource_changes[0].actions[0] should be one of create, update, delete, not "destroy"'),
    "a reason its kind does not give": (
        _set(("resource_changes", 0, "action_reason"), "weights_only"),
        'resource_changes[0].action_reason: "weights_only" is not a reason of a Model change'),
    "a kind sagectl does not know": (_set(("resource_changes", 0, "kind"), "Notebook"),
                                     'resource_changes[0].kind: "Notebook" is not a kind this '
                                     "sagectl knows"),
    "apply data for a kind that has none": (
        _set(("resource_changes", 0, "apply_data"), {}),
        "resource_changes[0].apply_data should be null: a Model change has none"),
    "apply data of another type": (
        _set(("resource_changes", 2, "apply_data", "spec_digest"), 5),
        "resource_changes[2].apply_data.spec_digest should be a string, not a number"),
    "apply data with an unknown field": (
        _set(("resource_changes", 2, "apply_data", "deadline"), 1),
        "resource_changes[2].apply_data has an unknown field 'deadline'"),
    "apply data without a field": (
        lambda d: d["resource_changes"][2]["apply_data"].pop("new_config"),
        "resource_changes[2].apply_data has no new_config"),
    "an undo that is not a list": (_set(("resource_changes", 0, "steps", 0, "undo"), {}),
                                   "resource_changes[0].steps[0].undo should be an array, "
                                   "not an object"),
    "an undo without its op": (lambda d: d["resource_changes"][0]["steps"][0]["undo"][0].pop(
        "op"), "resource_changes[0].steps[0].undo[0] has no op"),
}


@pytest.mark.parametrize("case", list(NOT_PLANS))
def test_a_file_that_is_not_a_saved_plan_is_refused_in_one_line(cli: Cli, tmp_path: Path,
                                                                case: str) -> None:
    specs = write(tmp_path, BASE)
    content, why = NOT_PLANS[case]
    path = tmp_path / "plan.json"
    if callable(content):
        code, _, err = cli("plan", str(specs), "--env", "dev", "--emulator", "--out", str(path))
        assert code == 0, err
        data = json.loads(path.read_text())
        content(data)
        path.write_text(json.dumps(data, indent=2))
    elif case == "directory":
        path.mkdir()
    elif case == "named pipe":
        os.mkfifo(path)  # opening it would block: it is never opened
    elif content is not None:
        path.write_bytes(content)
    code, out, err = cli("apply", str(path), "--specs", str(specs), "--env", "dev",
                         "--emulator", "--auto-approve")
    assert (code, out) == (1, ""), (code, out, err)
    assert err.startswith(f"sagectl: {path}") and err.count("\n") == 1, err
    assert f"not a saved sagectl plan: {why}" in err, err


def test_a_truncated_plan_says_where_it_ends(cli: Cli, tmp_path: Path) -> None:
    specs = write(tmp_path, BASE)
    path = tmp_path / "plan.json"
    assert cli("plan", str(specs), "--env", "dev", "--emulator", "--out", str(path))[0] == 0
    text = path.read_text()
    path.write_text(text[:len(text) // 2])
    last = path.read_text().count("\n") + 1  # the line the file ends on (maybe an empty one)
    code, _, err = cli("apply", str(path), "--specs", str(specs), "--emulator")
    assert code == 1
    assert err.startswith(f"sagectl: {path}:{last}:"), err
    assert ": not a saved sagectl plan: invalid JSON: " in err and err.count("\n") == 1, err


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else []
    for key, item in items:
        yield from _paths(item, (*at, key))


SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False,
                                                               allow_infinity=False)
JSON = st.recursive(SCALARS | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
REVIEWED = {"actions", "depends_on", "op", "target", "params", "request_digest", "steps",
            "address", "kind", "name", "action_reason", "fingerprint"}


def test_any_edit_is_refused_or_loaded_never_a_crash(emu: Emulator, tmp_path: Path) -> None:
    """Whatever is changed in a saved plan (a field deleted, any JSON put anywhere): loading it
    says NotAPlan, or the plan loads and comparing it with a fresh plan runs; an edit to what
    apply does (a change's steps, actions, depends_on) is always refused."""
    original = json.loads(plan(emu, write(tmp_path, BASE)).to_json())
    fresh = plan_from_dict(copy.deepcopy(original), KINDS)
    paths = [p for p in _paths(original) if p]

    @given(st.sampled_from(paths), st.booleans(), JSON)
    def edit(path: tuple[Any, ...], delete: bool, value: Any) -> None:
        data = copy.deepcopy(original)
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        if delete:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        note(f"{path} {'deleted' if delete else f'= {value!r}'}")
        try:
            saved = plan_from_dict(data, KINDS)
        except NotAPlan:
            return
        moved = stale(saved, fresh)
        if (path[0] == "resource_changes" and len(path) > 2 and path[2] in REVIEWED
                and data != original):
            assert moved, "an edit to what apply does was accepted"

    edit()


# -- 2. plans edited after they were made -------------------------------------------------------

ENDPOINT_EDITS: dict[str, tuple[Edit, str, str]] = {
    "a parameter": (
        _set(("steps", 0, "params", "ProductionVariants", 0, "InitialInstanceCount"), 5),
        "Endpoint.scorer",
        "steps[0].params.ProductionVariants[0].InitialInstanceCount: saved 5, fresh plan 2"),
    "a parameter's type": (
        _set(("steps", 0, "params", "ProductionVariants", 0, "InitialVariantWeight"), 90),
        "Endpoint.scorer",
        "steps[0].params.ProductionVariants[0].InitialVariantWeight: saved 90, fresh plan 90.0"),
    "a parameter added": (_set(("steps", 1, "params", "DeploymentConfig"), {}),
                          "Endpoint.scorer",
                          "steps[1].params.DeploymentConfig: only in the saved plan"),
    "a target": (_set(("steps", 1, "target"), "other"), "Endpoint.scorer",
                 'steps[1].target: saved "other", fresh plan "scorer"'),
    "an op": (_set(("steps", 2, "op"), "sagectl:verify"), "Endpoint.scorer",
              'steps[2].op: saved "sagectl:verify", fresh plan "sagectl:wait"'),
    "a note": (_set(("steps", 2, "note"), "instant"), "Endpoint.scorer",
               'steps[2].note: saved "instant", fresh plan "Creating -> InService"'),
    "a request digest": (_set(("steps", 0, "request_digest"), "0" * 64), "Endpoint.scorer",
                         'steps[0].request_digest: saved 000000000000..., fresh plan '),
    "depends_on": (_set(("depends_on",), []), "Endpoint.scorer",
                   'depends_on: saved [], fresh plan ["Alarm.scorer-errors", '
                   '"Model.scorer-model"]'),
    "actions": (_set(("actions",), ["update"]), "Endpoint.scorer",
                'actions: saved ["update"], fresh plan ["create"]'),
    "a step removed": (lambda c: c["steps"].pop(2), "Endpoint.scorer",
                       "steps: saved 4 steps, fresh plan 5"),
    "apply data": (_set(("apply_data", "new_config"), "scorer-00000000"), "Endpoint.scorer",
                   'apply_data.new_config: saved "scorer-00000000", fresh plan "scorer-'),
    "apply data added": (_set(("apply_data", "worst_case_seconds"), 1), "Endpoint.scorer",
                         "apply_data.worst_case_seconds: saved 1, fresh plan null"),
}


@pytest.mark.parametrize("case", list(ENDPOINT_EDITS))
def test_an_edited_step_is_refused_naming_resource_and_field(emu: Emulator, tmp_path: Path,
                                                             case: str) -> None:
    specs = write(tmp_path, BASE)
    data = json.loads(plan(emu, specs).to_json())
    edit, address, field = ENDPOINT_EDITS[case]
    edit(change(data, "Endpoint.scorer"))
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.result is None, "an edited plan was applied"
    assert [(m.address, m.problem) for m in run.moved] == [
        (address, "does not match a fresh plan")], run.moved
    assert field in run.moved[0].why, run.moved[0].why
    assert nothing_created(emu)


def test_edits_anywhere_are_refused(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, BASE)
    fresh = json.loads(plan(emu, specs).to_json())
    edits: list[tuple[Edit, str, str]] = [
        (lambda d: d["resource_changes"].append(copy.deepcopy(d["resource_changes"][0])),
         "Model.scorer-model", "appears 2 times in the saved plan"),
        (lambda d: d["resource_changes"].pop(1), "Alarm.scorer-errors",
         "now has a change the saved plan does not include"),
        (lambda d: change(d, "Model.scorer-model").update(action_reason="tags_only"),
         "Model.scorer-model", 'action_reason: saved "tags_only", fresh plan "new"'),
        (lambda d: d["pins"].update({PIN: "arn:aws:sagemaker:eu-west-1:111111111111:"
                                          "model-package/fraud-models/1"}),
         f"pin {PIN}", "the specs do not use it"),
    ]
    for edit, address, why in edits:
        data = copy.deepcopy(fresh)
        edit(data)
        run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
        assert run.result is None
        assert any(m.address == address and why in m.why for m in run.moved), run.moved
    assert nothing_created(emu)


def test_secrets_stay_redacted_on_both_sides(emu: Emulator, tmp_path: Path) -> None:
    specs = write(tmp_path, {"model.yaml": MODEL})
    data = json.loads(plan(emu, specs).to_json())
    environment = data["resource_changes"][0]["steps"][0]["params"]["PrimaryContainer"]
    assert environment["Environment"] == {"API_KEY": "(sensitive)"}
    edited = copy.deepcopy(data)
    edited["resource_changes"][0]["steps"][0]["params"]["PrimaryContainer"]["Environment"][
        "API_KEY"] = "guess"
    run = apply(emu, specs, saved=plan_from_dict(edited, KINDS))
    assert run.result is None
    (moved,) = run.moved
    assert moved.why == ('steps[0].params.PrimaryContainer.Environment.API_KEY: saved "guess", '
                         'fresh plan "(sensitive)"')
    assert "s3cr3t-value" not in moved.why
    # the plan as saved (redacted) applies, and the model gets the real value
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.moved == [] and statuses(run) == {"Model.scorer-model": "applied"}
    (model,) = sm(emu).list_models()["Models"]
    described = sm(emu).describe_model(ModelName=model["ModelName"])
    assert described["PrimaryContainer"]["Environment"] == {"API_KEY": "s3cr3t-value"}


def test_an_edited_plan_file_exits_1_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    # no environment values: a plan made against an empty emulator (--emulator) would otherwise
    # be refused for its provisional digest key before it is compared
    model = MODEL.replace('    environment: {API_KEY: "s3cr3t-value"}\n', "")
    specs = write(tmp_path, {**BASE, "model.yaml": model})
    path = tmp_path / "plan.json"
    assert cli("plan", str(specs), "--env", "dev", "--emulator", "--out", str(path))[0] == 0
    data = json.loads(path.read_text())
    step = change(data, "Endpoint.scorer")["steps"][0]
    step["params"]["ProductionVariants"][0]["InstanceType"] = "ml.p4d.24xlarge"
    path.write_text(json.dumps(data))
    code, out, err = cli("apply", str(path), "--specs", str(specs), "--emulator")
    assert code == 1, (out, err)
    assert ("sagectl: the saved plan does not match a fresh plan: Endpoint.scorer: steps[0]."
            'params.ProductionVariants[0].InstanceType: saved "ml.p4d.24xlarge", fresh plan '
            '"ml.m5.large"') in err, err
    assert "nothing was applied" in err and "Apply:" not in out


# -- 1. registry pins are checked again -------------------------------------------------------

def registry_plan(emu: Emulator, tmp_path: Path) -> tuple[Path, str, dict[str, Any]]:
    sm(emu).create_model_package_group(ModelPackageGroupName="fraud-models")
    first = register(emu, "Approved")
    specs = write(tmp_path, {"model.yaml": REGISTRY_MODEL})
    data = json.loads(plan(emu, specs).to_json())
    assert data["pins"] == {PIN: first}
    return specs, first, data


def test_a_version_rejected_after_the_plan_is_not_deployed(emu: Emulator,
                                                           tmp_path: Path) -> None:
    specs, first, data = registry_plan(emu, tmp_path)
    sm(emu).update_model_package(ModelPackageArn=first, ModelApprovalStatus="Rejected")
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.result is None, "a rejected model package was deployed"
    assert [(m.address, m.why) for m in run.moved] == [
        (f"pin {PIN}", f"model package {first} is Rejected, not Approved")]
    assert sm(emu).list_models()["Models"] == []
    sm(emu).update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved")
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.moved == [] and statuses(run) == {"Model.challenger": "applied"}


def package(client: Any, status: str, group: str = "fraud-models") -> str:
    arn: str = client.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus=status,
        InferenceSpecification={"Containers": [{"Image": f"{IMAGE}:pkg"}],
                                "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    return arn


def _other_group(emu: Emulator) -> str:
    sm(emu).create_model_package_group(ModelPackageGroupName="other-models")
    return package(sm(emu), "Approved", "other-models")


PACKAGE = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-models/"
BAD_PINS: dict[str, tuple[Callable[[Emulator], str], str]] = {
    "pending": (lambda emu: register(emu, "PendingManualApproval"),
                "is PendingManualApproval, not Approved"),
    "missing version": (lambda emu: PACKAGE + "99", "does not exist"),
    "another account": (lambda emu: PACKAGE.replace(ACCOUNT, "222222222222") + "1",
                        "is in account 222222222222, not the environment's 111111111111"),
    "another region": (lambda emu: PACKAGE.replace(REGION, "us-east-1") + "1",
                       "is in region us-east-1, not the environment's eu-west-1"),
    "another group": (_other_group, "is a version of group other-models, not fraud-models"),
    "not an ARN": (lambda emu: "fraud-models/1",
                   "'fraud-models/1' is not the ARN of a versioned model package"),
}


@pytest.mark.parametrize("case", list(BAD_PINS))
def test_a_pin_that_cannot_be_deployed_is_refused(emu: Emulator, tmp_path: Path,
                                                  case: str) -> None:
    specs, _, data = registry_plan(emu, tmp_path)
    value, why = BAD_PINS[case]
    pinned = value(emu)
    data["pins"][PIN] = pinned
    # even with the step edited to match (its digest too), the pin itself is checked
    saved = plan_from_dict(data, KINDS)
    fresh = apply(emu, specs, saved=saved).plan
    data["resource_changes"][0]["steps"] = json.loads(fresh.to_json())[
        "resource_changes"][0]["steps"]
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.result is None
    assert [m.address for m in run.moved] == [f"pin {PIN}"], run.moved
    assert why in run.moved[0].why and run.moved[0].problem == "pins what cannot be deployed"
    assert sm(emu).list_models()["Models"] == []


def test_a_pin_no_kind_makes_is_refused(emu: Emulator, tmp_path: Path) -> None:
    specs, _, data = registry_plan(emu, tmp_path)
    data["pins"]["registry:fraud-models:latest"] = PACKAGE + "1"
    run = apply(emu, specs, saved=plan_from_dict(data, KINDS))
    assert run.result is None
    assert ("pin registry:fraud-models:latest",
            "not a pin sagectl makes (registry:<group>:latestApproved)") in [
        (m.address, m.why) for m in run.moved]


def test_the_cli_refuses_a_rejected_pin_and_applies_once_approved(cli: Cli,
                                                                  remote: RemoteEmulator,
                                                                  tmp_path: Path) -> None:
    served = served_aws(remote.endpoint_url or "")
    client = served.client("sagemaker")
    client.create_model_package_group(ModelPackageGroupName="fraud-models")
    first = package(client, "Approved")
    specs = write(tmp_path, {"model.yaml": REGISTRY_MODEL})
    path = tmp_path / "plan.json"
    code, _, err = cli("plan", str(specs), "--env", "dev", "--out", str(path))
    assert code == 0, err
    client.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Rejected")
    code, out, err = cli("apply", str(path), "--specs", str(specs))
    assert code == 1, (out, err)
    assert (f"sagectl: the saved plan pins what cannot be deployed: pin {PIN}: model package "
            f"{first} is Rejected, not Approved") in err, err
    assert client.list_models()["Models"] == []
    client.update_model_package(ModelPackageArn=first, ModelApprovalStatus="Approved")
    code, out, err = cli("apply", str(path), "--specs", str(specs))
    assert code == 0, (out, err)
    (model,) = client.list_models()["Models"]
    described = client.describe_model(ModelName=model["ModelName"])
    assert described["PrimaryContainer"]["ModelPackageName"] == first
    served.close()
