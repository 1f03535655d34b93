"""Why an endpoint change is the one planned: the cheapest correct action (``changes.py``,
``redeploy.py``), besides ``Common``'s ``new``, ``tags_only`` and ``not_in_spec``.

With several kinds of difference at once the reason is the most expensive one's: weights with
autoscaling is ``weights_only`` (the autoscaling calls follow), anything with a config difference
is ``new_config``.
"""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class EndpointReason(Reason):
    """Reasons only an endpoint change gives."""

    WEIGHTS_ONLY = ("weights_only",
                    "only variant weights differ",
                    "UpdateEndpointWeightsAndCapacities with DesiredWeight (no new fleet), then "
                    "a verify")
    CAPACITY_ONLY = ("capacity_only",
                     "only instance counts the spec owns differ (`capacityOwner: spec`)",
                     "UpdateEndpointWeightsAndCapacities with DesiredInstanceCount (no new "
                     "fleet), then a verify")
    WEIGHTS_AND_CAPACITY = ("weights_and_capacity",
                            "more than one of weights, counts the spec owns and serverless "
                            "concurrency differ, and nothing that needs a new config",
                            "one UpdateEndpointWeightsAndCapacities with all of them (no new "
                            "fleet), then a verify")
    SERVERLESS_CONCURRENCY = ("serverless_concurrency",
                              "only serverless max or provisioned concurrency differs",
                              "UpdateEndpointWeightsAndCapacities with ServerlessUpdateConfig "
                              "(no new fleet), then a verify")
    AUTOSCALING_ONLY = ("autoscaling_only",
                        "only autoscaling differs: min/max capacity, policies or scheduled "
                        "actions",
                        "RegisterScalableTarget, PutScalingPolicy, PutScheduledAction, "
                        "DeregisterScalableTarget, DeleteScalingPolicy, DeleteScheduledAction; "
                        "the endpoint itself is untouched")
    SETTINGS_ONLY = ("settings_only",
                     "only sagectl's own settings differ (deployment policy, bake, deletion "
                     "protection): nothing changes in AWS",
                     "AddTags / DeleteTags: the endpoint's spec digest (and protection) tags")
    NEW_CONFIG = ("new_config",
                  "anything else: the endpoint config differs (models, instance types, "
                  "variants, data capture, ...)",
                  "CreateEndpointConfig, UpdateEndpoint with the spec's DeploymentConfig "
                  "(RetainAllVariantProperties where the autoscaler owns the counts), wait, "
                  "verify, bake, then deletion of the old configs beyond the newest kept")
    REPLACE_BECAUSE_IMMUTABLE = ("replace_because_immutable",
                                 "instance-based to serverless, or removing async inference: "
                                 "AWS has no update for it",
                                 "DeleteEndpoint then CreateEndpointConfig and CreateEndpoint: "
                                 "downtime, only with `allowReplacement: true`")


REASONS = (Common.NEW, *EndpointReason, Common.TAGS_ONLY, Common.NOT_IN_SPEC)
"""Every reason of an endpoint change (``EndpointKind.reasons``)."""
