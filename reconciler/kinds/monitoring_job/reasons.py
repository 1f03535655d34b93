"""Why a job definition change is the one planned, besides ``Common``'s ``new``, ``tags_only``
and ``not_in_spec`` (job definitions are immutable: content-named versions, ``plan.py``)."""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class JobDefinitionReason(Reason):
    """Reasons only a monitoring job definition change gives."""

    NEW_VERSION = ("new_version",
                   "the spec changed and earlier versions of the job definition exist: job "
                   "definitions are immutable, so a new content-named version",
                   "Create*JobDefinition; earlier versions no monitoring schedule uses are "
                   "deleted (Delete*JobDefinition), the one a schedule uses stays until the "
                   "schedule has moved to the new one")
    OLD_VERSIONS = ("old_versions",
                    "the job definition is unchanged but earlier versions of it that no "
                    "monitoring schedule uses remain",
                    "Delete*JobDefinition of each such version")


REASONS = (Common.NEW, *JobDefinitionReason, Common.TAGS_ONLY, Common.NOT_IN_SPEC)
"""Every reason of a job definition change (the four kinds' ``reasons``)."""
