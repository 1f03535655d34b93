"""The contract a resource kind implements, and the registry the core is handed.

The core (``spec/``, ``plan/``, ``apply/``) never imports a kind: the command line assembles a
``Registry`` (``reconciler/cli/registry.py``) and hands it to the stage entry points
(``load_specs``, ``make_plan``, ``execute``), as kopf's engine receives its registry. Nothing here
knows SageMaker; what every SageMaker kind shares (name patterns, ARNs, tags, boto3 request
casing) is in ``reconciler/kinds/_aws.py``.

Field naming: a spec field is the boto3 parameter name with its first letter lowered
(``InitialInstanceCount`` -> ``initialInstanceCount``, ``VolumeSizeInGB`` -> ``volumeSizeInGB``),
so a person who knows the API can guess it. Python attributes are snake_case; the alias
generator below maps between the two, keeping AWS's acronyms (GB, MB, SSM).

Validation happens in two layers:
1. pydantic (strict types, ranges, enums, unknown keys rejected) — also exported as JSON Schema;
2. ``Kind.check()`` for rules that involve several fields or other resources. It yields
   ``Issue``s with a field path, so every problem is reported at its own file:line:column.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from reconciler.diagnostics import Pos
from reconciler.spec.nodes import Node, Path

if TYPE_CHECKING:  # annotations only: the kinds' methods are called with these
    from reconciler.apply.context import ApplyContext, Outcome
    from reconciler.apply.steps import StepHooks, UndoLog
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.model import KindPlan, ResourceChange
    from reconciler.spec.resources import Resource

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
        use_attribute_docstrings=True,
    )


@dataclass(frozen=True, slots=True)
class Issue:
    """A semantic problem at ``path`` (from the document root, e.g. ``("spec", "x")``), or at
    ``pos`` when it is in another file the spec refers to."""

    path: Path
    message: str
    severity: str = "error"
    pos: Pos | None = None


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A YAML or JSON file a spec refers to, parsed with positions and variables substituted."""

    display: str
    value: Any
    node: Node


class CheckContext(Protocol):
    """What a kind's ``check`` may ask about the rest of the specs."""

    env: str | None

    def defines(self, kind: str, name: str) -> bool:
        """Whether the specs define this resource (valid or not)."""
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


class Kind:
    """One resource kind: a class (never instantiated) whose class attributes and class methods
    answer everything a stage may ask about its resources. Subclasses live in
    ``reconciler.kinds.<kind>`` and hold all of that kind's AWS knowledge."""

    kind: ClassVar[str]
    spec_model: ClassVar[type[SpecModel]]
    description: ClassVar[str]
    name_pattern: ClassVar[str]
    name_max_length: ClassVar[int]
    name_help: ClassVar[str]
    """The names AWS accepts, in words (for errors and the JSON Schema)."""
    name_length_note: ClassVar[str] = ""
    """Why ``name_max_length`` is what it is, when that is not obvious."""
    name_case_sensitive: ClassVar[bool] = True
    """False where AWS treats names that differ only in case as the same name."""

    @classmethod
    def check(cls, name: str, spec: SpecModel, ctx: CheckContext) -> Iterator[Issue]:
        """Semantic checks; by default the spec model's own ``check``."""
        checker = getattr(spec, "check", None)
        if checker is not None:
            yield from checker(ctx, ("spec",))

    @classmethod
    def auxiliary_files(cls, raw_spec: object) -> list[str]:
        """Files a spec refers to (relative to its own file) that are not spec documents."""
        return []

    # -- planning ----------------------------------------------------------------------------
    resource_types: ClassVar[tuple[str, ...]] = ()
    """Tagging API resource types this kind creates (e.g. ``sagemaker:endpoint``)."""
    plan_order: ClassVar[int] = 50
    """Kinds are planned in this order (a kind may use facts published by earlier ones)."""

    @classmethod
    def start_chains(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        """Start this kind's long serial reads (paginated lists) on the pool, first of all:
        they bound the plan's wall time. Results go in ``ctx.prefetched``."""

    @classmethod
    def prefetch(cls, ctx: PlanContext, desired: list[Resource]) -> None:
        """Start reads that need neither ownership nor other kinds' facts (results go in
        ``ctx.prefetched``), after every kind's chains and the ownership reads."""

    @classmethod
    def plan(cls, ctx: PlanContext, desired: list[Resource]) -> KindPlan:
        """Read what ``desired`` needs from AWS and return the changes. Each step carries its
        undo, built from what was read (``Step.undone_by``: a Create's Delete, the previous
        definition an update replaces), or the reason it is not taken back
        (``Step.not_undone``); steps that change nothing in AWS (a wait) need neither."""
        raise NotImplementedError

    @classmethod
    def plan_orphans(cls, ctx: PlanContext, orphans: list[OwnedResource]) -> KindPlan:
        """Resources this environment owns that left the specs (deleted only when pruning)."""
        raise NotImplementedError

    pin_prefix: ClassVar[str | None] = None
    """The prefix of the pins (``PlanContext.pinned`` keys) this kind makes, if it makes any."""

    @classmethod
    def check_pin(cls, ctx: PlanContext, key: str, value: str) -> str | None:
        """Why a saved plan's pin ``key`` -> ``value`` must not be applied (None: it may)."""
        return None

    # -- applying ----------------------------------------------------------------------------
    @classmethod
    def step_hooks(cls, actx: ApplyContext, change: ResourceChange, log: UndoLog
                   ) -> StepHooks | None:
        """The kind's part in running ``change``: the engine runs every change's steps in order,
        recording each one's planned undo, and the first failure undoes what ran, newest first;
        hooks add the kind's own ``sagectl:*`` steps, what happens before and around each step,
        on failure and on success (``reconciler/apply/steps.py``). None: the engine alone."""
        return None

    @classmethod
    def blocked(cls, actx: ApplyContext, change: ResourceChange) -> Outcome | None:
        """Why ``change`` must not start in this run (None: it may), asked of every change
        before the apply starts and without side effects, so that what the plan makes only for
        a blocked change (a quarantined endpoint's new models) waits with it."""
        return None

    @classmethod
    def lease_key(cls, address: str, name: str) -> str:
        """The state table lease of this resource (every change is leased while it runs)."""
        return address

    @classmethod
    def recover(cls, actx: ApplyContext, names: list[str]) -> list[Outcome]:
        """Finish or undo what a killed run left in flight on these resources."""
        return []


class Registry(Mapping[str, type[Kind]]):
    """The kinds one run knows, by name, in the order they were registered (the order errors
    and the JSON Schema list them); ``ordered()`` is the order they are planned in."""

    def __init__(self, kinds: Iterable[type[Kind]]) -> None:
        self._kinds: dict[str, type[Kind]] = {}
        for kind in kinds:
            if kind.kind in self._kinds:
                raise ValueError(f"two kinds are named {kind.kind!r}")
            self._kinds[kind.kind] = kind

    def __getitem__(self, name: str) -> type[Kind]:
        return self._kinds[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def __repr__(self) -> str:
        return f"Registry({', '.join(self._kinds)})"

    def ordered(self) -> list[type[Kind]]:
        """The kinds in planning order (``Kind.plan_order``, then registration order)."""
        return sorted(self._kinds.values(), key=lambda k: k.plan_order)

    def resource_types(self) -> list[str]:
        return [t for k in self.ordered() for t in k.resource_types]
