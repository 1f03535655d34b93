"""Why a model change is the one planned, besides ``Common``'s ``new``, ``tags_only`` and
``not_in_spec`` (models are immutable: content-named versions, ``plan.py``)."""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class ModelReason(Reason):
    """Reasons only a model change gives."""

    NEW_VERSION = ("new_version",
                   "the spec changed and earlier versions of the model exist: models are "
                   "immutable, so a new content-named version",
                   "CreateModel; the previous versions stay as rollback targets until an "
                   "endpoint deploy is verified and garbage-collects them")


REASONS = (Common.NEW, *ModelReason, Common.TAGS_ONLY, Common.NOT_IN_SPEC)
"""Every reason of a model change (``ModelKind.reasons``)."""
