"""The plan's closed vocabulary: what a change does (``Action``) and why (``Reason``), after
Terraform's ``plans.Action`` and its ``ResourceInstanceChangeActionReason`` constants.

- ``Action``: what a change does to its resource. A change's ``actions`` is ``[CREATE]``,
  ``[UPDATE]``, ``[DELETE]``, or a replacement: ``DELETE_THEN_CREATE`` (names are unique, so the
  old one goes first) or ``CREATE_THEN_DELETE`` (``is_replace``); JSON keeps Terraform's lists
  of strings.
- ``Reason``: why the change is the one planned (``action_reason``). A ``StrEnum`` without members
  of its own: every member of a subclass carries its documentation, ``when`` (what it means, when
  a plan gives it) and ``calls`` (what AWS calls it leads to), the single source of the README's
  table (``reasons_table``). Being a ``str``, a member is saved as its value: the JSON plan only
  ever holds the value.

Generic reasons, which any kind may give (a new resource, one that left the specs, only tags),
are ``Common``'s, here. Reasons that only make sense for one kind (an endpoint's
``weights_only``, a pipeline's ``definition_changed``) are members of that kind's own ``Reason``
subclass, declared and documented in its own package (``reconciler/kinds/<kind>/reasons.py``):
this layer never knows SageMaker, yet the vocabulary stays closed and documented. A kind lists
every reason its changes can give, ``Common``'s included, in ``Kind.reasons``, and the type of
its changes' apply data in ``Kind.apply_data``. Nothing here keeps a list of kinds: the planner
checks every change against the kind it came from (a reason its kind does not declare is a bug,
caught in every plan), and a saved plan's reasons and apply data are checked against the kinds
``saved.py`` is handed when it is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reconciler.plan.model import ApplyData


class Action(StrEnum):
    """What a change does to its resource (one element of a change's ``actions``)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


DELETE_THEN_CREATE = (Action.DELETE, Action.CREATE)
"""A replacement whose old resource goes first (its name is taken until then)."""
CREATE_THEN_DELETE = (Action.CREATE, Action.DELETE)
"""A replacement whose new resource comes first."""


def is_replace(actions: Sequence[str]) -> bool:
    """Whether ``actions`` replace the resource (Terraform's ``Action.IsReplace``)."""
    return tuple(actions) in (DELETE_THEN_CREATE, CREATE_THEN_DELETE)


class Reason(StrEnum):
    """Why a change is the one planned. The base of every kind's reasons: no members here.

    A member is declared as ``NAME = "value", "when", "calls"``: its value (what plans say), when
    a plan gives it, and what AWS calls it leads to, in plain words."""

    when: str
    """What it means: when a plan gives it."""
    calls: str
    """What AWS calls it leads to."""

    def __new__(cls, value: str, when: str, calls: str) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.when, member.calls = when, calls
        member.__doc__ = f"{when}. AWS calls: {calls}."
        return member


class Common(Reason):
    """Reasons any kind may give. Each kind's own reasons are in its package."""

    NEW = ("new",
           "the spec defines a resource that does not exist yet",
           "the kind's create calls, the resource tagged as sagectl's; then what it needs "
           "besides (for example autoscaling, a schedule, a policy)")
    NOT_IN_SPEC = ("not_in_spec",
                   "the environment owns the resource but it left the specs; planned only when "
                   "pruning is on (otherwise the plan warns and leaves it alone)",
                   "the kind's delete calls")
    TAGS_ONLY = ("tags_only",
                 "only the resource's own tags differ",
                 "the kind's tagging calls (add and remove tags); nothing else changes")


class Declares(Protocol):
    """What a kind declares about its plans (``Kind`` answers it)."""

    @property
    def kind(self) -> str: ...

    @property
    def reasons(self) -> tuple[Reason, ...]: ...

    @property
    def apply_data(self) -> type[ApplyData] | None: ...


def check_declarations(kind: Declares) -> None:
    """Raise ``ValueError`` if ``kind`` declares a reason twice, or its own member for one of
    ``Common``'s values (the planner asks this of every kind it is handed)."""
    values = [r.value for r in kind.reasons]
    if len(set(values)) != len(values):
        raise ValueError(f"{kind.kind} declares a reason twice: {values}")
    shadowing = [r.value for r in kind.reasons if not isinstance(r, Common) and r.value in
                 Common._value2member_map_]
    if shadowing:
        raise ValueError(f"{kind.kind} declares its own {shadowing[0]!r}: use Common's")


def reason_of(kind: Declares, value: str) -> Reason | None:
    """The member of ``kind``'s reasons whose value is ``value`` (None: not one of them)."""
    return next((r for r in kind.reasons if r.value == value), None)


def check_reason(kind: Declares, reason: str) -> None:
    """Raise ``ValueError`` unless ``reason`` is one of ``kind``'s reasons, as a member (a bug
    in the kind: its reasons are a closed, documented vocabulary). The planner checks every
    change it is given, so every plan checks its reasons."""
    if not isinstance(reason, Reason) or reason_of(kind, reason) is not reason:
        raise ValueError(f"{reason!s} is not a reason a {kind.kind} change can give "
                         f"(Kind.reasons: {', '.join(kind.reasons)})")


def reasons_table(kinds: Iterable[Declares]) -> str:
    """The README's table of reasons, from the members' documentation: each kind's own reasons,
    in the order it lists them, then ``Common``'s with the kinds that give them."""
    kinds = list(kinds)
    rows = ["| Kind | Reason | When | AWS calls |", "| --- | --- | --- | --- |"]
    for k in kinds:
        rows += [_row(k.kind, r) for r in k.reasons if not isinstance(r, Common)]
    for r in Common:
        givers = [k.kind for k in kinds if r in k.reasons]
        if givers:
            rows.append(_row("every kind" if len(givers) == len(kinds) else ", ".join(givers),
                             r))
    return "\n".join(rows) + "\n"


def _row(kind: str, reason: Reason) -> str:
    cells = (kind, f"`{reason.value}`", reason.when, reason.calls)
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
