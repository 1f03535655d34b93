"""Why an inference component change is the one planned, besides ``Common``'s ``new``,
``tags_only`` and ``not_in_spec``."""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class InferenceComponentReason(Reason):
    COPY_COUNT_ONLY = (
        "copy_count_only",
        "an inference component's spec-owned copy count differs (capacityOwner spec) and "
        "nothing else that needs a deployment",
        "UpdateInferenceComponentRuntimeConfig with the new CopyCount, waited for until "
        "InService and verified (desired and current copies); undone back to the previous count")
    SPECIFICATION_CHANGED = (
        "specification_changed",
        "an inference component's specification differs (model or container, compute, startup "
        "parameters); a copy count owned by the autoscaler is never part of it",
        "UpdateInferenceComponent with the new Specification and the spec's DeploymentConfig "
        "(rolling batches, rollback alarms), waited for, verified (InService, the new "
        "specification, no FailureReason: an InService component still on the old one was "
        "rolled back by SageMaker), baked; on failure UpdateInferenceComponent back to the "
        "previous specification")
    AUTOSCALING_CHANGED = (
        "autoscaling_changed",
        "only an inference component's copy autoscaling differs (bounds, policies, schedules)",
        "RegisterScalableTarget, PutScalingPolicy / DeleteScalingPolicy, PutScheduledAction / "
        "DeleteScheduledAction on inference-component/<name>, each undone back to what was read")


REASONS = (InferenceComponentReason.COPY_COUNT_ONLY,
           InferenceComponentReason.SPECIFICATION_CHANGED,
           InferenceComponentReason.AUTOSCALING_CHANGED,
           Common.NEW, Common.NOT_IN_SPEC, Common.TAGS_ONLY)
