"""Why an approval trigger change is the one planned, besides ``Common``'s ``new``, ``tags_only``
and ``not_in_spec``. With several differences the first that applies in this order is given:
``trigger_changed``, ``connection_deauthorized``, ``token_rotated``."""

from __future__ import annotations

from reconciler.plan.vocabulary import Common, Reason


class ApprovalTriggerReason(Reason):
    """Reasons only an approval trigger change gives."""

    TRIGGER_CHANGED = ("trigger_changed",
                       "the rule (its event pattern, state or target), the API destination or "
                       "the connection's headers differ from the spec, or a part is missing",
                       "UpdateConnection (with the token read at apply time), "
                       "Create/UpdateApiDestination, PutRule, PutTargets, TagResource")
    CONNECTION_DEAUTHORIZED = ("connection_deauthorized",
                               "the connection was de-authorized (DeauthorizeConnection): "
                               "EventBridge sends nothing through it (nothing outside the "
                               "connection differs)",
                               "UpdateConnection with the token read at apply time")
    TOKEN_ROTATED = ("token_rotated",
                     "the token secret's current version (AWSCURRENT) is not the one the "
                     "connection was authorized with (rotation), nothing else differs",
                     "GetSecretValue of that version at apply time, UpdateConnection")


REASONS = (Common.NEW, *ApprovalTriggerReason, Common.TAGS_ONLY, Common.NOT_IN_SPEC)
"""Every reason of an approval trigger change (``ApprovalTriggerKind.reasons``)."""
