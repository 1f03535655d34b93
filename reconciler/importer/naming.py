"""Which live resources become new spec documents, and under which names: the context the kinds
decide it in (``ImportContext``).

A resource an imported one uses may already be described by the spec tree (another import, a
hand-written spec), be managed by sagectl already, or be nobody's; the kind of that resource
decides (``Kind.import_choice``) and says why in a note or a warning. The rules of each kind are in
its own import module (``reconciler/kinds/*/importing.py``).

A resource this environment already tagged with the very address an import gives it is a previous
import whose adoption stopped half-way: it is imported again (and tagged again, ``mine``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reconciler.aws import Aws
from reconciler.contract import Registry
from reconciler.importer.documents import Document
from reconciler.importer.live import ImportRefused, Tagged
from reconciler.spec.resources import Resource, SpecSet

T = TypeVar("T")


@dataclass
class Tree:
    """What the spec tree defines already, outside the files the import (re)writes."""

    env: str
    resources: dict[str, dict[str, Resource]] = field(default_factory=dict)
    """Kind -> name -> resource, in the tree's order."""

    @classmethod
    def of(cls, specs: SpecSet, rewritten: set[Path]) -> Tree:
        tree = cls(specs.env_name or "")
        for r in specs.resources:
            if Path(r.file).resolve() not in rewritten:
                tree.resources.setdefault(r.kind, {})[r.name] = r
        return tree

    def named(self, kind: str) -> dict[str, Resource]:
        return self.resources.get(kind, {})


@dataclass
class Choice:
    """What to do with one live resource an imported one uses."""

    name: str
    """Its spec name."""
    new: bool
    """Whether the import writes (and adoption tags) a document for it."""
    external: bool = False
    """Referenced as not sagectl's to manage here (``external: true``)."""


@dataclass
class ImportContext:
    """What the kinds read and decide an import with."""

    aws: Aws
    kinds: Registry
    tree: Tree
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    choices: dict[tuple[str, str], Choice | None] = field(default_factory=dict)
    """(kind, live name) -> what becomes of it (None: left out)."""
    _facts: dict[str, Any] = field(default_factory=dict, repr=False)

    def once(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for, then the result (what a kind reads
        once per import, e.g. every metric alarm)."""
        if key not in self._facts:
            self._facts[key] = compute()
        return self._facts[key]  # type: ignore[no-any-return]

    def mine(self, live: Tagged, address: str) -> bool:
        """Tagged by this environment for exactly this address (an adoption cut short)."""
        return live.env == self.tree.env and live.address == address

    def choose(self, kind: str, name: str, live: Tagged | None, role: str = "") -> Choice | None:
        """What becomes of the live resource ``name`` of ``kind`` (``live``: as read, None when
        it does not exist), decided by its kind the first time it is asked."""
        key = (kind, name)
        if key not in self.choices:
            self.choices[key] = self.kinds[kind].import_choice(self, name, live, role)
        return self.choices[key]

    def named_as_live(self, kind: str, noun: str, name: str, live: Tagged) -> Choice | None:
        """The rule of a resource whose spec name is its live name: one the tree defines already
        is not written again (a note); one sagectl manages for another spec is refused. None:
        neither, the kind decides."""
        defined = self.tree.named(kind)
        if name in defined:
            self.notes.append(f"{noun} {name} is already defined in {defined[name].file}: not "
                              "written again")
            return Choice(name, new=False)
        if live.managed and not self.mine(live, f"{kind}.{name}"):
            raise ImportRefused(f"{noun} {name} is managed by sagectl ({live.owner_text()}), but "
                                f"no {kind} spec here describes it")
        return None

    def chosen(self, kind: str) -> set[str]:
        """The spec names given to live resources of ``kind`` so far."""
        return {c.name for (k, _), c in self.choices.items() if k == kind and c is not None}

    def document(self, kind: str, live: Tagged, name: str) -> Document:
        """The spec document ``name`` of ``kind`` for ``live`` (its warnings go to
        ``warnings``)."""
        return self.kinds[kind].to_document(self, live, name)
