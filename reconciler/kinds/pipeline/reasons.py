"""Why a pipeline change is the one planned, besides ``Common``'s ``new``, ``tags_only`` and
``not_in_spec``. With a definition and a schedule difference the reason is
``definition_changed`` (the schedule's calls follow)."""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class PipelineReason(Reason):
    """Reasons only a pipeline change gives."""

    DEFINITION_CHANGED = ("definition_changed",
                          "the definition (parsed: key order and whitespace do not matter) or "
                          "another pipeline field (role, display name, description, "
                          "parallelism) differs",
                          "s3:PutObject when the definition goes through S3, UpdatePipeline (a "
                          "new pipeline version), StartPipelineExecution with `startOnChange`")
    SCHEDULE_CHANGED = ("schedule_changed",
                        "only the schedule differs",
                        "EventBridge Scheduler Create/Update/DeleteSchedule, or EventBridge "
                        "PutRule, PutTargets, RemoveTargets, DeleteRule")


REASONS = (Common.NEW, *PipelineReason, Common.TAGS_ONLY, Common.NOT_IN_SPEC)
"""Every reason of a pipeline change (``PipelineKind.reasons``)."""
