"""The planner's bookkeeping grows linearly with the fleet: ``apply_order`` walks reverse
dependencies (each change is looked at when one of its dependencies is done, not on every
round), ``Ownership.mine`` answers from an index by type, environment and address. Both give
exactly what the plain scans gave; the growth itself is measured by ``bench/plan_bench.py``
(counted operations here, never seconds)."""

from __future__ import annotations

import random

from reconciler.plan.context import ADDRESS_TAG, ENV_TAG, OwnedResource, Ownership
from reconciler.plan.model import Action, ResourceChange
from reconciler.plan.order import apply_order

KINDS = ["Model", "Alarm", "Endpoint"]


def _scan_order(changes: list[ResourceChange], kinds: list[str]) -> list[ResourceChange]:
    """The former quadratic algorithm, kept as the reference."""
    def rank(c: ResourceChange) -> tuple[int, str]:
        return (kinds.index(c.kind) if c.kind in kinds else len(kinds)), c.address

    by_address = {c.address: c for c in changes}
    pending = {c.address: {d for d in c.depends_on if d in by_address and d != c.address}
               for c in changes}
    ordered: list[ResourceChange] = []
    while pending:
        ready = sorted((by_address[a] for a, deps in pending.items() if not deps), key=rank)
        if not ready:
            ready = sorted((by_address[a] for a in pending), key=rank)[:1]
        for change in ready:
            ordered.append(change)
            pending.pop(change.address)
            for deps in pending.values():
                deps.discard(change.address)
    return ordered


def _change(kind: str, name: str, depends_on: list[str]) -> ResourceChange:
    return ResourceChange(f"{kind}.{name}", kind, name, [Action.UPDATE], "changed",
                          depends_on=depends_on)


def _fleet(n: int) -> list[ResourceChange]:
    changes = []
    for i in range(n):
        changes += [_change("Model", f"m{i}", []), _change("Alarm", f"a{i}", []),
                    _change("Endpoint", f"e{i}", [f"Model.m{i}", f"Alarm.a{i}", "Model.gone"])]
    return changes


def test_apply_order_matches_the_scan_on_a_fleet_and_on_random_graphs() -> None:
    fleet = _fleet(300)
    assert apply_order(fleet, KINDS) == _scan_order(fleet, KINDS)
    chooser = random.Random(19)
    for _ in range(200):
        names = [f"{chooser.choice([*KINDS, 'Other'])}.r{i}" for i in range(chooser.randint(1, 25))]
        changes = [_change(a.split(".")[0], a.split(".")[1],
                           chooser.sample(names, chooser.randint(0, min(4, len(names)))))
                   for a in names]  # self-dependencies and cycles included
        chooser.shuffle(changes)
        assert apply_order(changes, KINDS) == _scan_order(changes, KINDS)


def test_apply_order_puts_dependencies_first_and_ranks_the_rest() -> None:
    ordered = [c.address for c in apply_order(_fleet(2)[::-1], KINDS)]
    assert ordered == ["Model.m0", "Model.m1", "Alarm.a0", "Alarm.a1", "Endpoint.e0",
                       "Endpoint.e1"]


def _owned(kind: str, name: str, env: str, address: str | None) -> OwnedResource:
    tags = {ENV_TAG: env, **({ADDRESS_TAG: address} if address else {})}
    return OwnedResource(f"arn:aws:sagemaker:eu-west-1:111111111111:{kind}/{name}",
                         f"sagemaker:{kind}", tags)


def test_ownership_index_answers_as_the_scan_did() -> None:
    resources = [_owned("endpoint-config", f"Config-{env}-{i}-{j}", env, f"Endpoint.e{i}")
                 for i in range(50) for j in range(3) for env in ("dev", "prod")]
    resources += [_owned("model", f"m{i}", "dev", f"Model.m{i}") for i in range(50)]
    resources += [_owned("model", "untagged", "dev", None)]
    ownership = Ownership(resources, "dev")
    for resource_type in ("sagemaker:endpoint-config", "sagemaker:model", "sagemaker:alarm"):
        scan = [r for r in ownership.by_arn.values()
                if r.resource_type == resource_type and (r.env or "") == "dev"]
        assert ownership.mine(resource_type) == scan
        for address in ("Endpoint.e7", "Model.m3", "Endpoint.none"):
            assert ownership.mine(resource_type, address) == [
                r for r in scan if r.tags.get(ADDRESS_TAG) == address]
    assert [r.name for r in ownership.mine("sagemaker:endpoint-config", "Endpoint.e7")] == [
        "Config-dev-7-0", "Config-dev-7-1", "Config-dev-7-2"]


def test_ownership_learn_moves_a_resource_between_index_entries() -> None:
    ownership = Ownership([_owned("model", "m1", "prod", "Model.m1")], "dev")
    assert ownership.mine("sagemaker:model") == []
    ownership.learn(_owned("model", "M1", "dev", "Model.m1"))  # the same ARN, case aside
    assert [r.env for r in ownership.mine("sagemaker:model", "Model.m1")] == ["dev"]
    assert len(ownership.by_arn) == 1
    assert ownership.is_mine("arn:aws:sagemaker:eu-west-1:111111111111:model/m1")
