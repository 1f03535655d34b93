"""The plan's vocabulary (``reconciler/plan/vocabulary.py``): actions and reasons are closed and
documented, each kind declares every reason its changes can give, and the plan layer stays
generic (the kinds' reasons live in their packages)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.contract import Kind, Registry, SpecModel
from reconciler.diagnostics import Pos
from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.kinds.endpoint.reasons import EndpointReason
from reconciler.plan.model import KindPlan, ResourceChange, saved_form
from reconciler.plan.planner import make_plan
from reconciler.plan.vocabulary import (
    CREATE_THEN_DELETE,
    DELETE_THEN_CREATE,
    Action,
    Common,
    Reason,
    check_declarations,
    check_reason,
    is_replace,
)
from reconciler.spec.nodes import MapNode
from reconciler.spec.resources import Resource, SpecSet
from sagemaker_emulator import Emulator
from tests.conftest import REPO
from tests.plan.helpers import aws_for

PLAN = REPO / "reconciler" / "plan"


def own_reasons() -> list[tuple[str, Reason]]:
    return [(k.kind, r) for k in KINDS.values() for r in k.reasons if not isinstance(r, Common)]


def test_every_kind_declares_its_reasons_and_apply_data() -> None:
    for name, kind in KINDS.items():
        check_declarations(kind)
        assert kind.reasons and all(isinstance(r, Reason) for r in kind.reasons), name
    assert KINDS["Endpoint"].apply_data is EndpointApplyData


def test_every_reason_is_documented() -> None:
    for reason in {r for k in KINDS.values() for r in k.reasons} | set(Common):
        assert reason.when and reason.calls, reason.value
        assert reason.__doc__ == f"{reason.when}. AWS calls: {reason.calls}."
        assert "\n" not in reason.when + reason.calls  # one table row each


def test_a_kinds_own_reasons_live_in_its_package() -> None:
    """The plan layer knows no SageMaker: a kind's reasons are declared in its own module."""
    for kind, reason in own_reasons():
        package = KINDS[kind].__module__
        assert type(reason).__module__.startswith(package), (kind, reason)
    for reason in Common:
        assert not any(word in reason.when + reason.calls
                       for word in ("SageMaker", "Endpoint", "Model", "Alarm", "Pipeline"))


def test_the_plan_layer_imports_no_kind() -> None:
    for name in ("vocabulary.py", "model.py", "saved.py", "stale.py"):
        tree = ast.parse((PLAN / name).read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(m and m.startswith("reconciler.kinds") for m in modules), name


def test_every_declared_reason_is_given_somewhere() -> None:
    """No reason is documented that no kind can give: each is named where changes are made."""
    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in sorted((REPO / "reconciler" / "kinds").rglob("*.py")))
    for kind in KINDS.values():
        for reason in kind.reasons:
            assert f"{type(reason).__name__}.{reason.name}" in source, (kind.kind, reason)


def test_a_kind_cannot_give_a_reason_it_does_not_declare() -> None:
    with pytest.raises(ValueError, match="weights_only is not a reason a Model change can give"):
        check_reason(KINDS["Model"], EndpointReason.WEIGHTS_ONLY)
    with pytest.raises(ValueError, match="not a reason a Model change can give"):
        check_reason(KINDS["Model"], "new")  # the value, not the member
    check_reason(KINDS["Model"], Common.NEW)
    change = ResourceChange("Model.m", "Model", "m", [Action.CREATE], Common.NEW)
    assert change.action_reason == "new" and change.actions == ["create"]


class _Careless(Kind):
    """A kind whose plan gives a reason it does not declare."""

    kind = "Careless"
    spec_model = SpecModel
    description = "a kind with a bug"
    name_pattern, name_max_length, name_help = ".*", 10, "anything"
    reasons = (Common.NEW,)

    @classmethod
    def plan(cls, ctx: Any, desired: list[Resource]) -> KindPlan:
        return KindPlan([ResourceChange(r.address, cls.kind, r.name, [Action.CREATE],
                                        EndpointReason.WEIGHTS_ONLY) for r in desired])


def test_the_planner_checks_every_change_against_its_kind(emu: Emulator, tmp_path: Path) -> None:
    """Checked where the core meets the kinds, so every plan in the suite checks its reasons."""
    specs = SpecSet(Registry([_Careless]), None, None,
                    [Resource("Careless", "x", "x.yaml", MapNode(Pos("x.yaml"), {}), None)])  # type: ignore[arg-type]
    aws = aws_for(emu)
    try:
        with pytest.raises(ValueError, match="weights_only is not a reason a Careless change"):
            make_plan(specs, aws, tmp_path)
    finally:
        aws.close()


def test_reason_values_are_unique_within_a_kind_and_never_shadow_common_ones() -> None:
    for kind in KINDS.values():
        values = [r.value for r in kind.reasons]
        assert len(values) == len(set(values)), kind.kind

    class Shadow(Reason):
        NEW = ("new", "when", "calls")

    class Fake:
        kind = "Fake"
        reasons = (Shadow.NEW,)
        apply_data = None

    with pytest.raises(ValueError, match="declares its own 'new'"):
        check_declarations(Fake)


def test_actions_and_reasons_are_saved_as_their_values() -> None:
    change = ResourceChange("Endpoint.e", "Endpoint", "e", list(DELETE_THEN_CREATE),
                            EndpointReason.REPLACE_BECAUSE_IMMUTABLE,
                            apply_data=EndpointApplyData(spec_digest="d"))
    saved = saved_form(change)
    assert saved["actions"] == ["delete", "create"]
    assert saved["action_reason"] == "replace_because_immutable"
    assert saved["apply_data"]["spec_digest"] == "d"
    assert json.dumps(change.action_reason) == '"replace_because_immutable"'
    assert change.is_replace and is_replace(CREATE_THEN_DELETE)
    assert not is_replace([Action.CREATE]) and not is_replace([Action.DELETE])

