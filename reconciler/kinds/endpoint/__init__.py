"""The ``Endpoint`` kind: endpoint, endpoint config, variants, autoscaling, deployment policy."""

from __future__ import annotations

from reconciler.kinds._base import CONTENT_SUFFIX_LEN, Kind
from reconciler.kinds.endpoint.spec import EndpointSpec


class EndpointKind(Kind):
    kind = "Endpoint"
    spec_model = EndpointSpec
    description = ("A SageMaker real-time, serverless or asynchronous endpoint with its variants, "
                   "autoscaling and deployment guardrails.")
    name_max_length = 63 - CONTENT_SUFFIX_LEN
    name_length_note = ("leaving room for the content suffix of its endpoint configs "
                        "(-xxxxxxxx)")


__all__ = ["EndpointKind", "EndpointSpec"]
