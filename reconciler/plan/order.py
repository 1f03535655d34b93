"""The order changes are applied in: dependencies first (a model before the endpoint that uses
it, a guardrail alarm before the endpoint it protects), then by kind (the planning order of the
kinds the planner was handed), then by address, so plans are stable."""

from __future__ import annotations

from reconciler.plan.model import ResourceChange


def apply_order(changes: list[ResourceChange], kinds: list[str]) -> list[ResourceChange]:
    """Topological order over ``depends_on`` (among the changes themselves), stable by rank:
    the position of the change's kind in ``kinds``, then its address."""
    def _rank(change: ResourceChange) -> tuple[int, str]:
        kind = kinds.index(change.kind) if change.kind in kinds else len(kinds)
        return kind, change.address

    by_address = {c.address: c for c in changes}
    waiting_on = {c.address: {d for d in c.depends_on if d in by_address and d != c.address}
                  for c in changes}
    needed_by: dict[str, list[str]] = {}  # the reverse edges: a change done frees only these
    for address, deps in waiting_on.items():
        for dep in deps:
            needed_by.setdefault(dep, []).append(address)
    ordered: list[ResourceChange] = []
    ready = sorted((by_address[a] for a, deps in waiting_on.items() if not deps), key=_rank)
    pending = {a for a, deps in waiting_on.items() if deps}
    while ready or pending:
        if not ready:  # a cycle (should not happen): fall back to rank order
            first = min((by_address[a] for a in pending), key=_rank)
            pending.discard(first.address)
            ready = [first]
        freed: list[ResourceChange] = []
        for change in ready:
            ordered.append(change)
            for address in needed_by.get(change.address, ()):
                deps = waiting_on[address]
                deps.discard(change.address)
                if not deps and address in pending:
                    pending.discard(address)
                    freed.append(by_address[address])
        ready = sorted(freed, key=_rank)
    return ordered


def marker(change: ResourceChange) -> str:
    if change.is_replace:
        return "-/+"
    return {"create": "+", "update": "~", "delete": "-"}.get(change.actions[0], "?")


def mermaid(changes: list[ResourceChange]) -> str:
    """A mermaid flowchart of the apply order (edges: dependencies among the changes)."""
    ids = {c.address: f"n{i}" for i, c in enumerate(changes)}
    lines = ["graph LR"]
    for change in changes:
        label = f"{marker(change)} {change.address}".replace('"', "'")
        lines.append(f'  {ids[change.address]}["{label}"]')
    for change in changes:
        for dep in change.depends_on:
            if dep in ids:
                lines.append(f"  {ids[dep]} --> {ids[change.address]}")
    return "\n".join(lines)
