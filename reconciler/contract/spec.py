"""What every spec model and its checks are built on: ``SpecModel`` (strict, camelCase keys,
unknown keys rejected), the ``Issue`` a check yields at a field path, and the ``CheckContext``
a kind's ``check`` may ask about the rest of the specs. See the package docstring for naming
and the two validation layers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from reconciler.diagnostics import Pos
from reconciler.spec.nodes import Node, Path

_ACRONYMS = {"gb": "GB", "mb": "MB", "ssm": "SSM"}


def to_camel(snake: str) -> str:
    first, *rest = snake.split("_")
    return first + "".join(_ACRONYMS.get(part, part.capitalize()) for part in rest)


class SpecModel(BaseModel):
    """Base of every spec model: strict types, unknown keys rejected, camelCase keys."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        frozen=True,
        allow_inf_nan=False,
    )
    # Field docstrings are read when a schema is written (spec/fielddocs.py), not here: pydantic's
    # use_attribute_docstrings parses every class's source at import, on every command.


@dataclass(frozen=True, slots=True)
class Issue:
    """A semantic problem at ``path`` (from the document root, e.g. ``("spec", "x")``), or at
    ``pos`` when it is in another file the spec refers to. ``key``: the problem is the key at
    ``path`` (an unknown field), so its position is the key's, not its value's."""

    path: Path
    message: str
    severity: str = "error"
    pos: Pos | None = None
    key: bool = False


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A YAML or JSON file a spec refers to, parsed with positions and variables substituted."""

    display: str
    value: Any
    node: Node


class CheckContext(Protocol):
    """What a kind's ``check`` may ask about the rest of the specs."""

    env: str | None
    region: str | None
    """The environment's ``region`` (None: no environment, or it sets none)."""
    account_id: str | None
    """The environment's ``accountId`` (None: no environment, or it sets none)."""

    def defines(self, kind: str, name: str) -> bool:
        """Whether the specs define this resource (valid or not)."""
        ...

    def names(self, kind: str) -> list[str]:
        """The names of the resources of ``kind`` the specs define for this environment (valid
        or not), sorted."""
        ...

    def lookup(self, kind: str, name: str) -> SpecModel | None:
        """The validated spec of another resource; None if undefined or itself invalid."""
        ...

    def load_file(self, relative: str, at: Path) -> LoadedFile | None:
        """A file named (relative to the spec's file) by the field at ``at``. Problems reading
        it are reported by the context, at that field; None then."""
        ...

    def build(self, reference: str, at: Path) -> LoadedFile | None:
        """The data returned by the Python builder ``module:function`` named by the field at
        ``at``, positioned there and substituted. Failures are reported at that field."""
        ...


PATTERN_HELP: dict[str, str] = {}
"""Human descriptions of regex patterns that spec models use, to phrase validation errors
(kinds register theirs with ``describe_pattern``)."""


def describe_pattern(pattern: str, description: str) -> None:
    PATTERN_HELP[pattern] = description


def pattern_help(pattern: str) -> str | None:
    return PATTERN_HELP.get(pattern)


def duplicates(names: list[str]) -> dict[str, list[int]]:
    """Names that occur more than once, with the indexes of their later occurrences."""
    seen: dict[str, int] = {}
    dups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if name in seen:
            dups.setdefault(name, []).append(i)
        else:
            seen[name] = i
    return dups
