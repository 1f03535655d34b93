"""Why a model package group change is the one planned, besides ``Common``'s ``new``,
``tags_only`` and ``not_in_spec``."""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class ModelPackageGroupReason(Reason):
    """Reasons only a model package group change gives (besides ``Common``'s)."""

    POLICY_CHANGED = ("policy_changed",
                      "the group's resource policy differs (set, changed or removed)",
                      "PutModelPackageGroupPolicy or DeleteModelPackageGroupPolicy, and AddTags "
                      "/ DeleteTags when tags differ too")


REASONS = (Common.NEW, *ModelPackageGroupReason, Common.TAGS_ONLY, Common.NOT_IN_SPEC)
"""Every reason of a model package group change (``ModelPackageGroupKind.reasons``)."""
