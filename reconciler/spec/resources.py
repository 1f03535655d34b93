"""The desired state as data: validated ``Resource``s of one environment, in a ``SpecSet``."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.contract import Registry, SpecModel
from reconciler.diagnostics import Report
from reconciler.spec.environments import Environment
from reconciler.spec.nodes import MapNode


@dataclass
class Resource:
    """One validated resource of the desired state."""

    kind: str
    name: str
    file: str
    node: MapNode
    document: SpecModel

    @property
    def spec(self) -> SpecModel:
        return self.document.spec  # type: ignore[attr-defined,no-any-return]

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.name}"


@dataclass
class SpecSet:
    """The desired state for one environment (or for none, when the tree has no environments),
    with the kinds it was validated against: the stages that follow are handed them here."""

    kinds: Registry
    env_name: str | None
    environment: Environment | None
    resources: list[Resource] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    environments: list[str] = field(default_factory=list)
    """The environments the tree defines (those that load without errors), so a command can
    say which to choose without reading the tree again."""
    _index: tuple[tuple[int, int], dict[tuple[str, str], Resource]] | None = field(
        default=None, repr=False, compare=False)

    def get(self, kind: str, name: str) -> Resource | None:
        key = (len(self.resources), id(self.resources))
        if self._index is None or self._index[0] != key:
            self._index = (key, {(r.kind, r.name): r for r in reversed(self.resources)})
        return self._index[1].get((kind, name))

    @property
    def ok(self) -> bool:
        return not self.report.errors
