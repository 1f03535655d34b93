"""Why an alarm change is the one planned, besides ``Common``'s ``new``, ``tags_only`` and
``not_in_spec``."""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class AlarmReason(Reason):
    """Reasons only an alarm change gives."""

    CONFIG_CHANGED = ("config_changed",
                      "the alarm's configuration differs (metric, threshold, actions, ...)",
                      "PutMetricAlarm (it replaces the whole configuration; the alarm's state "
                      "is kept), and TagResource / UntagResource when tags differ too")


REASONS = (Common.NEW, *AlarmReason, Common.TAGS_ONLY, Common.NOT_IN_SPEC)
"""Every reason of an alarm change (``AlarmKind.reasons``)."""
