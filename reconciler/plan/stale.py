"""Is a saved plan still true? Each change carries a fingerprint of what was read to decide it;
a fresh plan of the same specs must produce the same changes with the same fingerprints."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.plan.model import Plan


@dataclass
class Moved:
    address: str
    why: str


def stale(saved: Plan, fresh: Plan) -> list[Moved]:
    """What moved between ``saved`` and ``fresh`` (empty: the saved plan can be applied)."""
    moved: list[Moved] = []
    if saved.spec_digest != fresh.spec_digest:
        moved.append(Moved("(specs)", "the specs changed since the plan was made"))
    if (saved.env, saved.account, saved.region) != (fresh.env, fresh.account, fresh.region):
        moved.append(Moved("(target)", f"the plan is for {saved.env}/{saved.account}/"
                                        f"{saved.region}, not {fresh.env}/{fresh.account}/"
                                        f"{fresh.region}"))
    old = {c.address: c for c in saved.resource_changes}
    new = {c.address: c for c in fresh.resource_changes}
    for address in sorted(old.keys() | new.keys()):
        a, b = old.get(address), new.get(address)
        if a is None:
            moved.append(Moved(address, "now has a change the saved plan does not include"))
        elif b is None:
            moved.append(Moved(address, "no longer needs the change the saved plan includes"))
        elif a.fingerprint != b.fingerprint:
            moved.append(Moved(address, "its live state changed since the plan was made"))
        elif (a.actions, [s.op for s in a.steps]) != (b.actions, [s.op for s in b.steps]):
            moved.append(Moved(address, "the change it needs is different now"))
    return moved
