"""The top-level ``awsExtra`` of an ``InferenceComponent`` on update (rule 50).

``awsExtra`` is checked against ``CreateInferenceComponentInput`` and sent on create. On update,
botocore's ``UpdateInferenceComponentInput`` decides, member by member: one it has is sent again
with UpdateInferenceComponent when it changed; one it lacks can only be set at creation, so
changing (or removing) it is a plan error, never a silent no-op. Whether a member changed is
read from the ``sagectl:aws-extra`` tag (``member=digest`` pairs of what was last applied),
since DescribeInferenceComponent need not answer every request member.

With the installed botocore the only member the spec does not model is ``Specifications``, which
AWS accepts only instead of ``Specification`` (which sagectl requires): it is refused at
validation (``spec.py``), so these paths serve the members a newer botocore adds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.plan.diff import diff
from reconciler.plan.model import DiffEntry, digest
from reconciler.spec import botoshape

UPDATE_SHAPE = "UpdateInferenceComponentInput"
EXTRA_TAG = "sagectl:aws-extra"


def updatable(key: str, update_shape: str = UPDATE_SHAPE) -> bool:
    """Whether UpdateInferenceComponent takes the top-level member ``key`` (sagectl casing)."""
    return key in botoshape.members("sagemaker", update_shape)


def fingerprints(extra: dict[str, Any]) -> dict[str, str]:
    return {k: digest(v)[:12] for k, v in sorted(extra.items())}


def extra_tag(extra: dict[str, Any] | None) -> dict[str, str]:
    """The tag recording what a component's top-level ``awsExtra`` was applied with."""
    if not extra:
        return {}
    return {EXTRA_TAG: ",".join(f"{k}={v}" for k, v in fingerprints(extra).items())}


def _recorded(tags: dict[str, str]) -> dict[str, str]:
    pairs = [p.partition("=") for p in tags.get(EXTRA_TAG, "").split(",") if p]
    return {k: v for k, _, v in pairs}


@dataclass
class ExtraChanges:
    entries: list[DiffEntry] = field(default_factory=list)
    """Updatable members that changed (sent with UpdateInferenceComponent)."""
    request: dict[str, Any] = field(default_factory=dict)
    """Those members in boto3 casing."""
    refused: list[str] = field(default_factory=list)
    """Members that changed but UpdateInferenceComponent cannot change, in words."""


def changes(extra: dict[str, Any] | None, live_tags: dict[str, str],
            update_shape: str = UPDATE_SHAPE) -> ExtraChanges:
    """What the spec's top-level ``awsExtra`` changes, against what was last applied."""
    out = ExtraChanges()
    want = dict(extra or {})
    have, now = _recorded(live_tags), fingerprints(want)
    send: dict[str, Any] = {}
    for key in sorted(set(have) | set(now)):
        if have.get(key) == now.get(key):
            continue
        if key not in now:
            out.refused.append(f"awsExtra.{key} left the spec (AWS has no request that removes "
                               "it)")
        elif not updatable(key, update_shape):
            out.refused.append(f"awsExtra.{key} changed; UpdateInferenceComponent has no "
                               f"{key[:1].upper() + key[1:]} (only creation takes it)")
        else:
            send[key] = want[key]
            out.entries += diff(None if key not in have else "(as last applied)", want[key],
                                f"awsExtra.{key}")
    if send and not out.refused:
        out.request = botoshape.to_boto("sagemaker", update_shape, send)
    return out
