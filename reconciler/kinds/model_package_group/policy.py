"""A group's resource policy: read from AWS, diffed statement by statement (by ``Sid``, or
content: reordering is no change), and the steps that set or remove it."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._live import not_found
from reconciler.plan.diff import diff
from reconciler.plan.model import DiffEntry, Step, Undo, digest


def read_policy(aws: Any, name: str) -> Any:
    """The group's resource policy, parsed (None: it has none)."""


    try:
        text = aws.client("sagemaker").get_model_package_group_policy(
            ModelPackageGroupName=name)["ResourcePolicy"]
    except ClientError as err:
        if not_found(err):  # "Cannot find resource policy for: <arn>"
            return None
        raise
    try:
        return json.loads(text)
    except ValueError:
        return text


def policy_diff(have: Any, want: Any, path: str = "resourcePolicy") -> list[DiffEntry]:
    """An IAM policy compared statement by statement, so a plan says which statement and which
    field changed (``resourcePolicy.Statement[ProdReads].Principal.AWS``), not one long string.

    Statements are a set (IAM gives their order no meaning; one statement or a list of one are
    the same): those with a ``Sid`` are matched by it; the others are first matched by equal
    content (an inserted statement does not shift the rest), then in order, and are named by
    their position (in the spec; a removed one by its live position). A side that is not a
    policy document (absent, or text that is not JSON) is compared as it is."""
    have_doc = {} if have is None else have
    want_doc = {} if want is None else want
    old_statements, new_statements = _statements(have_doc), _statements(want_doc)
    if old_statements is None or new_statements is None:
        return diff(have, want, path)
    out = diff({k: v for k, v in have_doc.items() if k != "Statement"},
               {k: v for k, v in want_doc.items() if k != "Statement"}, path)
    for label, old, new in _pair_statements(old_statements, new_statements):
        here = f"{path}.Statement[{label}]"
        # a Sid in the path already is not listed as a field of its own
        out += [e for e in diff(old, new, here)
                if not (e.path == f"{here}.Sid" and label in (e.before, e.after))]
    return out


def _statements(policy: Any) -> list[Any] | None:
    """The statements of a policy document as a list (None: not a policy document)."""
    if not isinstance(policy, dict):
        return None
    found = policy.get("Statement")
    if found is None:
        return []
    if isinstance(found, dict):
        return [found]
    return found if isinstance(found, list) else None


def _sid(statement: Any, side: list[Any]) -> str | None:
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    if isinstance(sid, str) and sid and sum(
            isinstance(s, dict) and s.get("Sid") == sid for s in side) == 1:
        return sid
    return None


def _pair_statements(have: list[Any], want: list[Any]) -> list[tuple[str, Any, Any]]:
    """(name, live statement or None, spec statement or None), in spec order then removals."""
    old_by_sid = {sid: s for s in have if (sid := _sid(s, have))}
    new_by_sid = {sid: s for s in want if (sid := _sid(s, want))}
    shared = old_by_sid.keys() & new_by_sid.keys()
    old_rest = [(i, s) for i, s in enumerate(have) if _sid(s, have) not in shared]
    new_rest = [(i, s) for i, s in enumerate(want) if _sid(s, want) not in shared]
    for i, s in list(new_rest):  # the same statement on both sides: unchanged
        same = next((o for o in old_rest if o[1] == s), None)
        if same is not None:
            old_rest.remove(same)
            new_rest.remove((i, s))
    pairs: list[tuple[str, Any, Any]] = []
    for i, s in enumerate(want):
        sid = _sid(s, want)
        if sid in shared:
            pairs.append((sid, old_by_sid[sid], s))
        elif (i, s) in new_rest:
            old = old_rest.pop(0)[1] if old_rest else None
            pairs.append((sid or str(i), old, s))
    pairs += [(_sid(s, have) or str(i), s, None) for i, s in old_rest]
    return pairs


def policy_steps(name: str, want: Any, have: Any) -> list[Step]:
    """Bring the group's policy from ``have`` (as read; None: none) to ``want``; undone back to
    ``have``."""
    if want == have:
        return []
    if have is None:
        undo = Undo("sagemaker:DeleteModelPackageGroupPolicy", name,
                    {"ModelPackageGroupName": name}, "policy added by this run")
    else:
        undo = Undo("sagemaker:PutModelPackageGroupPolicy", name,
                    {"ModelPackageGroupName": name, "ResourcePolicy": json.dumps(have)},
                    "previous policy restored")
    if want is None:
        request: dict[str, Any] = {"ModelPackageGroupName": name}
        return [Step("sagemaker:DeleteModelPackageGroupPolicy", name, request, digest(request)
                     ).undone_by(undo)]
    request = {"ModelPackageGroupName": name,
               "ResourcePolicy": json.dumps(want, sort_keys=True, separators=(",", ":"))}
    return [Step("sagemaker:PutModelPackageGroupPolicy", name, request, digest(request)
                 ).undone_by(undo)]
