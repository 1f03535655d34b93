"""The ``Kind`` every stage asks about a kind's resources, the values its hooks return
(``Orphan``, ``RegistryPin``) and the ``Registry`` of kinds one run is handed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from reconciler.contract.spec import CheckContext, Issue, SpecModel
from reconciler.spec.nodes import Path

if TYPE_CHECKING:  # annotations only: the kinds' methods are called with these
    from reconciler.apply.context import ApplyContext, Outcome
    from reconciler.apply.state import StateTable
    from reconciler.apply.steps import StepHooks, UndoLog
    from reconciler.drift.classify import KindDrift
    from reconciler.iam.tables import Permissions, ServiceRole
    from reconciler.importer.adopt import Tagging
    from reconciler.importer.documents import Document, ImportUnit
    from reconciler.importer.live import Tagged
    from reconciler.importer.naming import Choice, ImportContext
    from reconciler.plan.context import OwnedResource, PlanContext
    from reconciler.plan.early import EarlyReads
    from reconciler.plan.model import ApplyData, KindPlan, Problem, ResourceChange
    from reconciler.plan.vocabulary import Reason
    from reconciler.spec.resources import Resource, SpecSet


@dataclass(frozen=True)
class Orphan:
    """Resources this environment owns under one address that left the specs: what one deletion
    change removes (see ``Kind.orphans``)."""

    address: str
    name: str
    """The name in the address."""
    owned: tuple[OwnedResource, ...]
    what: str
    """How messages name it (``endpoint scorer``)."""
    left_alone: str = "it is left alone"
    """What a warning says stays when pruning is off."""


@dataclass(frozen=True)
class RegistryPin:
    """A place in a spec that pins one version of a registry group: what ``sagectl promote``
    edits (``Kind.registry_pins``)."""

    kind: str
    name: str
    """The resource whose spec holds it."""
    at: Path
    """The mapping that holds ``group_key`` and ``version_key``, from the document root."""
    group: str
    current: int | str
    """The version pinned now, or ``unpinned``."""
    group_key: str
    version_key: str
    unpinned: str
    """What the spec says (or means, without ``version_key``) when it follows the newest."""
    label: str
    """How messages name it (``scorer containers[1].modelPackageVersion``)."""


class NothingToPromote(Exception):
    """A resource pins no registry version; the message says why, for the user."""


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
    lists_owned: ClassVar[bool] = False
    """True for a kind whose resources the Resource Groups Tagging API does not list (not every
    AWS resource can carry tags): the planner asks ``list_owned`` for them instead of reading
    ``resource_types`` through the tagging API."""
    plan_order: ClassVar[int] = 50
    """Kinds are planned in this order (a kind may use facts published by earlier ones)."""
    reasons: ClassVar[tuple[Reason, ...]] = ()
    """Every ``action_reason`` this kind's changes can give: ``Common`` members and its own
    ``Reason`` subclass's (``reconciler/plan/vocabulary.py``), in the README table's order."""
    apply_data: ClassVar[type[ApplyData] | None] = None
    """The type of its changes' ``apply_data`` (None: they carry none)."""

    @classmethod
    def start_region_reads(cls, early: EarlyReads) -> None:
        """Start this kind's long serial reads that need only the account and region, not the
        specs (a whole paginated list: they bound the plan's wall time), each with
        ``early.start(key, begin)``: ``begin(aws)`` starts them on the pool and returns the
        futures, which the kind's ``plan`` takes with the same call (``ctx.early``). Called as
        soon as the first document of this kind is read, before the rest of the specs load
        (``reconciler/plan/early.py``), and again, to no effect, when planning starts. Kinds
        that read the same list use the same key: it is read once."""

    @classmethod
    def list_owned(cls, ctx: PlanContext) -> list[OwnedResource]:
        """(``lists_owned`` kinds) This kind's resources in the plan's account and region that
        sagectl manages, as the tagging API would give them (ARN, one of ``resource_types``,
        tags), read by the kind. Asked in every plan, whether the specs define such resources
        or not (an owned one that left the specs is an orphan), on the pool, with the ownership
        reads."""
        return []

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

    pin_prefix: ClassVar[str | None] = None
    """The prefix of the pins (``PlanContext.pinned`` keys) this kind makes, if it makes any."""

    @classmethod
    def check_pin(cls, ctx: PlanContext, key: str, value: str) -> str | None:
        """Why a saved plan's pin ``key`` -> ``value`` must not be applied (None: it may)."""
        return None

    # -- orphans -----------------------------------------------------------------------------
    # What this environment owns that left the specs. Whether it is deleted is decided once, by
    # the planner (plan/planner.py ``plan_orphans``): ``keep_orphan``, then pruning (off: a
    # warning that it is left alone), then deletion protection (the ``sagectl:deletion-protection``
    # tag: an error); only then is the kind asked for the deletion (``delete_orphan``).
    noun: ClassVar[str] = ""
    """How messages name one resource of this kind (``model package group``; default: the kind's
    name in lower case)."""

    @classmethod
    def orphans(cls, ctx: PlanContext, owned: list[OwnedResource]) -> list[Orphan]:
        """``owned`` (this kind's resources of this environment whose address left the specs)
        as the units that are deleted together; by default one per resource, by name."""
        noun = cls.noun or cls.kind.lower()
        return [Orphan(address, address.partition(".")[2], (r,), f"{noun} {r.name}")
                for r in sorted(owned, key=lambda r: r.name)
                for address in [r.address or f"{cls.kind}.{r.name}"]]

    @classmethod
    def keep_orphan(cls, ctx: PlanContext, orphan: Orphan) -> Problem | None:
        """Why ``orphan`` is never this kind's to delete, whatever pruning says (None: it may
        be deleted)."""
        return None

    @classmethod
    def delete_orphan(cls, ctx: PlanContext, orphan: Orphan) -> ResourceChange:
        """The change that deletes ``orphan`` (asked only when the planner decided it goes)."""
        raise NotImplementedError

    @classmethod
    def deletion_warnings(cls, ctx: PlanContext, orphan: Orphan) -> list[Problem]:
        """What reviewers should know about deleting ``orphan`` that does not stop the plan
        (asked after ``delete_orphan``; warnings only). By default nothing."""
        return []

    # -- drift (reconciler/drift/) -----------------------------------------------------------
    # The drift stage classifies the plan's changes by generic rules (ownership digests); a kind
    # says what only it knows, from what its ``plan`` observed (``PlanContext.observed``), so a
    # drift check reads nothing the plan did not (the state table aside).

    @classmethod
    def drift(cls, ctx: PlanContext, state: StateTable, changes: list[ResourceChange],
              seen: set[str]) -> KindDrift | None:
        """This kind's part of a drift check (None: nothing beyond the generic rules).
        ``changes`` are the plan's creates and updates of this kind; ``seen`` every address the
        report has anyway (a change, a conflict). The result classifies some of ``changes`` (the
        rest get the generic rules) and adds drift that no change shows. ``state`` may be read,
        never written (it may not exist)."""
        return None

    # -- import (reconciler/importer/) -------------------------------------------------------
    # ``sagectl import NAME...`` names resources of the import root kind; it reads them and asks
    # the kinds of what they use to read, name and describe those, in an ``ImportContext``. The
    # written documents are then rehearsed and adopted kind by kind, in planning order.
    import_root: ClassVar[bool] = False
    """Whether ``sagectl import NAME...`` names resources of this kind (one file each)."""

    @classmethod
    def import_files(cls, ictx: ImportContext, names: list[str]) -> list[ImportUnit]:
        """(The import root.) Read the live resources ``names`` and what they use, refusing
        (``ImportRefused``) what cannot be imported, and the documents of each one's file."""
        raise NotImplementedError

    @classmethod
    def import_related(cls, ictx: ImportContext, kind: str, names: list[str]
                       ) -> dict[str, list[str]]:
        """Names of this kind's live resources that are about these resources of ``kind``
        without being named by them (alarms on an endpoint's metrics), by name."""
        return {}

    @classmethod
    def import_read(cls, ictx: ImportContext, names: list[str]) -> dict[str, Tagged]:
        """This kind's live resources ``names``, by name, without their tags (an import reads
        those for everything at once); one that does not exist is missing from the result, or
        refused when the import cannot do without it."""
        raise NotImplementedError

    @classmethod
    def import_choice(cls, ictx: ImportContext, name: str, live: Tagged | None, role: str
                      ) -> Choice | None:
        """What becomes of a live resource of this kind that an imported one uses (``live``:
        None when it does not exist; ``role``: how it is used): a new document, a reference to
        a spec that describes it, an external reference, or nothing (None). Notes and warnings
        go to ``ictx``; ``ImportRefused`` when the import must not go on."""
        raise NotImplementedError

    @classmethod
    def to_document(cls, ictx: ImportContext, live: Tagged, name: str) -> Document:
        """The spec document ``name`` for ``live`` (what the plan needs to find it unchanged
        once adopted); its warnings go to ``ictx``."""
        raise NotImplementedError

    @classmethod
    def adoption(cls, ctx: PlanContext, resources: list[Resource],
                 documents: Mapping[str, Document]) -> tuple[list[Tagging], list[Problem]]:
        """The tags adoption puts on the live resources of these imported resources (those
        ``apply`` would have given them), and the problems that forbid it (``documents``: the
        written ones, by address)."""
        return [], []

    # -- IAM (reconciler/iam/) ---------------------------------------------------------------
    @classmethod
    def permissions(cls) -> Permissions | None:
        """What the IAM policy must allow for this kind (``sagectl iam-policy``): every AWS
        operation its plan, apply, drift and import make, the scopes of the resources IAM
        authorises them against, and what AWS checks on top (None: nothing)."""
        return None

    @classmethod
    def policy_resources(cls, resource: Resource) -> dict[str, list[str]]:
        """For the scopes this kind fills per spec (``Scope.per_spec``): the resources (ARN
        templates) one of its specs names, e.g. the role it passes to AWS."""
        return {}

    @classmethod
    def service_roles(cls, resource: Resource) -> list[ServiceRole]:
        """The roles ``resource`` hands to an AWS service whose whole policy this kind knows
        (``sagectl iam-policy --service-roles``). By default none."""
        return []

    # -- promote (reconciler/promote.py) -----------------------------------------------------
    promotable: ClassVar[bool] = False
    """Whether ``sagectl promote NAME`` takes the names of this kind's resources."""

    @classmethod
    def registry_pins(cls, specs: SpecSet, resource: Resource) -> list[RegistryPin]:
        """The registry versions ``sagectl promote`` pins for ``resource``: in its own spec, or
        in the specs of the resources it uses. Raises ``NothingToPromote`` (saying why) when
        there is none."""
        raise NothingToPromote(f"{cls.kind} {resource.name} pins no registry version")

    @classmethod
    def uses(cls, resource: Resource) -> list[tuple[str, str]]:
        """Other resources this one's spec names and its plan needs planned first (the facts
        they publish, such as a model's AWS name), as (kind, name), in the spec's order."""
        return []

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
