"""Spec documents an import writes (plain data in spec casing, defaults left out), and the files
they go in. The kinds build them from what they read (``Kind.to_document``; the import root's
``Kind.import_files``): each is what the plan needs to find the live resource unchanged once it
is adopted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.importer.live import Tagged
from reconciler.spec.documents import API_VERSION


@dataclass
class Document:
    kind: str
    name: str
    spec: dict[str, Any]
    source: Tagged
    """The live resource it describes (and that adoption tags)."""
    annotations: dict[str, str] = field(default_factory=dict)
    also: tuple[Tagged, ...] = ()
    """Other live resources it stands for, which adoption tags too (an endpoint's config)."""
    comments: dict[tuple[str | int, ...], str] = field(default_factory=dict)
    """Comment lines above keys, by path from the document root."""

    @property
    def address(self) -> str:
        return f"{self.kind}.{self.name}"

    def data(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name}
        if self.annotations:
            metadata["annotations"] = dict(self.annotations)
        return {"apiVersion": API_VERSION, "kind": self.kind, "metadata": metadata,
                "spec": self.spec}


@dataclass
class ImportUnit:
    """The documents of one spec file (``<name>.yaml``): one imported resource and what it uses
    that the import describes as well."""

    name: str
    origin: str
    """What it was imported from, for the file's header (``endpoint x (endpoint config y)``)."""
    documents: list[Document]
