"""The plan as data. JSON is its primary form; text and markdown are views rendered from it.

A ``Plan`` holds one ``ResourceChange`` per spec resource that would change (plus deletions), in
apply order. Each change says what (``actions``, ``diff``), why (``action_reason``), how (ordered
``steps``: the API operations apply will call, each with its ``undo`` planned from what was read,
or the reason it is ``irreversible``), what it means for the fleet (``consequences``), what apply
needs besides its steps (``apply_data``), and what was read to decide it (``fingerprint``: apply
refuses the plan if that has moved). Actions and reasons are a closed vocabulary
(``vocabulary.py``).

Nothing here knows SageMaker; kinds fill these structures.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from reconciler.plan.vocabulary import Action, Reason, is_replace, reason_of

if TYPE_CHECKING:
    from reconciler.contract import Kind, Registry

FORMAT_VERSION = 2
"""2: changes have ``apply_data`` and steps their ``undo``/``irreversible``; 1 (older sagectl)
kept what apply needs in ``consequences`` and planned no undo."""
SENSITIVE = "(sensitive)"


def digest(value: Any) -> str:
    """A stable hash of JSON-able data (sorted keys, no whitespace)."""
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


@dataclass
class DiffEntry:
    path: str
    before: Any
    after: Any


@dataclass
class Undo:
    """One AWS call that takes a step back, planned by the step's kind from what the plan read
    (as alembic's ``AddColumnOp.reverse()`` is a ``DropColumnOp``): a Create's Delete, or the
    previous definition of what an update replaces."""

    op: str
    """``service:Operation``."""
    target: str
    params: dict[str, Any] = field(default_factory=dict)
    """The request, with sensitive values redacted (as ``Step.params``)."""
    note: str = ""
    """What it restores, in plain words (apply reports ``undid: <note>``)."""
    request: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    """In memory only, never saved: the full request when ``params`` had values redacted."""


@dataclass
class Step:
    op: str
    """``service:Operation`` for an AWS call, or ``sagectl:wait|verify|bake|...``."""
    target: str
    params: dict[str, Any] = field(default_factory=dict)
    """The request, with sensitive values redacted."""
    request_digest: str = ""
    """Digest of the full request (unredacted): apply rebuilds it from the specs and checks."""
    note: str = ""
    undo: list[Undo] = field(default_factory=list)
    """How apply takes this step back when a later step of its change fails: the calls, in
    order (a step's undo may take several, e.g. tags changed and tags added)."""
    irreversible: str = ""
    """Why this step is not taken back (empty when it has an ``undo``, or when it changes
    nothing in AWS, as ``sagectl:wait`` and ``sagectl:verify``)."""
    request: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    """In memory only, never saved: the full request when ``params`` had values redacted."""

    def undone_by(self, *calls: Undo) -> Step:
        """This step, with its undo (``calls``, in order)."""
        self.undo, self.irreversible = list(calls), ""
        return self

    def not_undone(self, why: str) -> Step:
        """This step, with the reason it is not taken back."""
        self.undo, self.irreversible = [], why
        return self


@dataclass
class ApplyData:
    """What apply (and drift) need from a change besides its steps, kept apart from what
    reviewers read, as Terraform keeps a change's ``Private`` data apart from its UI's reasons.

    ``consequences`` are for reviewers: nothing apply does may depend on them. A kind whose
    apply needs more than the steps declares a dataclass deriving from this one
    (``Kind.apply_data``) and gives each change an instance of it. A plan saves it under the
    change's ``apply_data`` (null: the change has none); loading a saved plan checks it against
    the kind's dataclass, field by field, and a fresh plan must have the same (``stale.py``).
    A value reviewers should also see (a duration, a fleet size) is in both."""


@dataclass
class ResourceChange:
    address: str
    kind: str
    name: str
    actions: list[Action]
    action_reason: Reason
    """One of the reasons the kind declares (``Kind.reasons``)."""
    diff: list[DiffEntry] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    consequences: dict[str, Any] = field(default_factory=dict)
    """For reviewers: always has ``summary`` (plain-words lines); kinds add machine-readable
    fields. Apply never reads them (``apply_data``)."""
    fingerprint: str = ""
    depends_on: list[str] = field(default_factory=list)
    waits: str | None = None
    """Why the change cannot be applied now (e.g. the endpoint is Updating)."""
    spec_path: str | None = None
    apply_data: ApplyData | None = None
    """What apply needs besides the steps, of the kind's type (``Kind.apply_data``)."""

    @property
    def is_replace(self) -> bool:
        return is_replace(self.actions)


def _change_dict(change: ResourceChange) -> dict[str, Any]:
    data = asdict(change)
    for step in data["steps"]:
        step.pop("request", None)  # secrets never leave memory
        for undo in step["undo"]:
            undo.pop("request", None)
    return data


def saved_form(change: ResourceChange) -> dict[str, Any]:
    """``change`` exactly as a saved plan holds it (JSON types: no tuples, no int for a float),
    so a fresh plan's change compares with a loaded one field by field."""
    return json.loads(json.dumps(_change_dict(change), default=str))  # type: ignore[no-any-return]


@dataclass
class Problem:
    address: str
    message: str
    hint: str = ""
    severity: str = "error"


@dataclass
class Plan:
    env: str | None
    spec_digest: str
    git_commit: str
    region: str
    account: str | None
    resource_changes: list[ResourceChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0
    reads: dict[str, int] = field(default_factory=dict)
    """API calls made to build the plan, by service:Operation."""
    pins: dict[str, str] = field(default_factory=dict)
    """What the plan resolved from moving live state, held fixed when a saved plan is applied
    (``registry:<group>:latestApproved`` -> the package ARN)."""
    digest_key: str | None = None
    """Which key the digests of sensitive values use: ``environment``, ``provisional`` (none
    existed yet: apply refuses the saved plan), None (no digest covers a sensitive value)."""
    format_version: int = FORMAT_VERSION

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def summary(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "replace": 0, "delete": 0, "waiting": 0}
        for change in self.resource_changes:
            if change.waits:
                counts["waiting"] += 1
            if change.is_replace:
                counts["replace"] += 1
            elif change.actions[0] in counts:
                counts[change.actions[0]] += 1
        counts["unchanged"] = self.unchanged
        counts["errors"] = len(self.errors)  # apply refuses a plan with any
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.resource_changes)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "format_version": self.format_version,
            "env": self.env,
            "spec_digest": self.spec_digest,
            "git_commit": self.git_commit,
            "region": self.region,
            "account": self.account,
            "summary": self.summary(),
            "resource_changes": [_change_dict(c) for c in self.resource_changes],
            "problems": [asdict(p) for p in self.problems],
            "reads": dict(sorted(self.reads.items())),
            "pins": dict(sorted(self.pins.items())),
            "digest_key": self.digest_key,
        }
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, default=str) + "\n"

    @classmethod
    def saved_keys(cls) -> list[str]:
        """The keys of a saved plan, in order."""
        return list(cls(None, "", "", "", None).to_dict())

    @classmethod
    def from_checked_dict(cls, data: Any, kinds: Registry) -> Plan:
        """A plan from its saved form, once ``saved.plan_from_dict`` has checked its shape and
        its vocabulary against ``kinds``."""
        changes = [_loaded_change(c, kinds[c["kind"]]) for c in data["resource_changes"]]
        plain = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        return cls(**{**plain, "resource_changes": changes,
                      "problems": [Problem(**p) for p in data["problems"]],
                      "unchanged": data["summary"].get("unchanged", 0)})


def _loaded_change(c: dict[str, Any], known: type[Kind]) -> ResourceChange:
    """A change of ``known``'s from its saved form (checked: its reason is one of the kind's,
    its apply data fits the kind's type)."""
    data = c["apply_data"]
    return ResourceChange(**{
        **c, "actions": [Action(a) for a in c["actions"]],
        "action_reason": reason_of(known, c["action_reason"]),
        "diff": [DiffEntry(**d) for d in c["diff"]],
        "steps": [Step(**{**s, "undo": [Undo(**u) for u in s["undo"]]}) for s in c["steps"]],
        "apply_data": None if data is None or known.apply_data is None
        else known.apply_data(**data)})


@dataclass
class KindPlan:
    """What one kind contributes to a plan."""

    changes: list[ResourceChange] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    def extend(self, other: KindPlan) -> None:
        self.changes += other.changes
        self.unchanged += other.unchanged
        self.problems += other.problems
