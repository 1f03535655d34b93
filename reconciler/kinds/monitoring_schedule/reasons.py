"""Why a monitoring schedule change is the one planned, besides ``Common``'s ``new``,
``tags_only`` and ``not_in_spec``."""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class MonitoringScheduleReason(Reason):
    """Reasons only a monitoring schedule change gives."""

    SCHEDULE_CHANGED = (
        "schedule_changed",
        "a monitoring schedule's schedule config (expression, data analysis window), monitoring "
        "type or job definition differs (a definition whose content changed is a new "
        "content-named definition)",
        "UpdateMonitoringSchedule (undone by UpdateMonitoringSchedule back to the config read), "
        "verified by DescribeMonitoringSchedule (the new definition, Scheduled or Stopped as "
        "desired), Start/StopMonitoringSchedule when the status differs too, then "
        "DeleteXJobDefinition of the definition it moved away from when this environment owns "
        "it and no spec still wants it (last, not undone)")
    STATUS_CHANGED = (
        "status_changed",
        "only a monitoring schedule's desired status differs (running: Scheduled, stopped: "
        "Stopped)",
        "StartMonitoringSchedule or StopMonitoringSchedule, verified by "
        "DescribeMonitoringSchedule; undone by the opposite call")


REASONS = (Common.NEW, MonitoringScheduleReason.SCHEDULE_CHANGED,
           MonitoringScheduleReason.STATUS_CHANGED, Common.TAGS_ONLY, Common.NOT_IN_SPEC)
"""Every reason of a monitoring schedule change (``MonitoringScheduleKind.reasons``)."""
