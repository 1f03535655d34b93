"""The hooks the Kind contract gives the stages beyond plan and apply (orphans, drift, import,
IAM, promote): what a kind that says nothing answers, and what the registry's kinds declare."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.contract import Kind, NothingToPromote, Orphan, Registry
from reconciler.iam import assemble
from reconciler.plan.context import ADDRESS_TAG, OwnedResource
from reconciler.spec.load import load_specs
from tests.kinds.endpoint.test_plan_changes import MODEL

IMAGE_MODEL = """
apiVersion: sagectl/v1
kind: Model
metadata: {name: registry-model}
spec:
  primaryContainer: {modelPackageGroupName: fraud-models}
"""
SHADOWED = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: scorer}
spec:
  productionVariants:
    - {variantName: primary, modelName: scorer-model, instanceType: ml.m5.large,
       initialInstanceCount: 1}
  shadowProductionVariants:
    - {variantName: shadow, modelName: registry-model, instanceType: ml.m5.large,
       initialInstanceCount: 1}
"""


class Quiet(Kind):
    kind = "Quiet"


def owned(name: str, address: str) -> OwnedResource:
    return OwnedResource(f"arn:aws:thing:eu-west-1:111111111111:quiet/{name}", "thing:quiet",
                         {ADDRESS_TAG: address})


def test_a_kind_that_says_nothing() -> None:
    """Default answers: one orphan per resource, named by the kind; nothing for drift, IAM,
    promote or import beyond refusing what it cannot do."""
    found = Quiet.orphans(None, [owned("b", "Quiet.b"), owned("a", "Quiet.a")])  # type: ignore[arg-type]
    assert [(o.address, o.name, o.what, o.left_alone) for o in found] == [
        ("Quiet.a", "a", "quiet a", "it is left alone"),
        ("Quiet.b", "b", "quiet b", "it is left alone")]
    assert Quiet.keep_orphan(None, found[0]) is None  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        Quiet.delete_orphan(None, found[0])  # type: ignore[arg-type]
    assert Quiet.drift(None, None, [], set()) is None  # type: ignore[arg-type]
    assert Quiet.permissions() is None
    assert Quiet.policy_resources(None) == {}  # type: ignore[arg-type]
    assert not Quiet.promotable and not Quiet.import_root
    with pytest.raises(NothingToPromote):
        Quiet.registry_pins(None, type("R", (), {"name": "x"})())  # type: ignore[arg-type]
    assert Quiet.uses(None) == []  # type: ignore[arg-type]
    assert Quiet.import_related(None, "Endpoint", ["x"]) == {}  # type: ignore[arg-type]
    assert Quiet.adoption(None, [], {}) == ([], [])  # type: ignore[arg-type]
    assert assemble(Registry([Quiet])).operations == assemble(Registry([])).operations


def test_the_registrys_kinds_declare_their_parts() -> None:
    """One import root; every kind declares its IAM permissions; the kinds promote takes names
    of, in planning order (the order find_pins asks them in)."""
    assert [k.kind for k in KINDS.ordered() if k.import_root] == ["Endpoint"]
    assert all(k.permissions() is not None for k in KINDS.values())
    assert [k.kind for k in KINDS.ordered() if k.promotable] == ["Model", "Endpoint"]
    versions = [owned(n, "Model.m") for n in ("m-1", "m-2")] + [owned("x-1", "Model.x")]
    assert [(o.address, o.owned, o.left_alone) for o in KINDS["Model"].orphans(None, versions)  # type: ignore[arg-type]
            ] == [("Model.m", tuple(versions[:2]), "its models (m-1, m-2) are left alone"),
                  ("Model.x", (versions[2],), "its models (x-1) are left alone")]
    assert KINDS["Endpoint"].orphans(None, versions) == []  # type: ignore[arg-type]
    assert Orphan("A.b", "b", (), "a b").left_alone == "it is left alone"


def test_an_endpoint_uses_the_models_of_all_its_variants_and_pins_theirs(
        spec_tree: Callable[[dict[str, Any]], Path]) -> None:
    specs = load_specs(spec_tree({"model.yaml": MODEL, "registry.yaml": IMAGE_MODEL,
                                  "endpoint.yaml": SHADOWED}), KINDS, None)
    assert specs.ok, [d.text() for d in specs.report.errors]
    endpoint = specs.get("Endpoint", "scorer")
    assert endpoint is not None
    assert KINDS["Endpoint"].uses(endpoint) == [("Model", "scorer-model"),
                                                ("Model", "registry-model")]
    (pin,) = KINDS["Endpoint"].registry_pins(specs, endpoint)
    assert (pin.kind, pin.name, pin.at, pin.group, pin.current, pin.label) == (
        "Model", "registry-model", ("spec", "primaryContainer"), "fraud-models",
        "latestApproved", "registry-model modelPackageVersion")
    with pytest.raises(NothingToPromote, match="model scorer-model has no container from the"):
        KINDS["Model"].registry_pins(specs, specs.get("Model", "scorer-model"))  # type: ignore[arg-type]
