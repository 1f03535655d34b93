"""Fitting a policy into IAM's size quotas (docs/sagemaker-rules.md, "IAM policy size").

IAM counts a policy's characters without white space: a managed policy may have 6,144, the inline
policies of a role together 10,240, and a role takes 10 managed policies by default (20 with a
quota increase) (IAM User Guide, reference_iam-quotas.html). sagectl's policy grows with the
kinds; when it is over a managed policy's size, ``split`` packs its statements, in order, into
as few documents as fit, each a complete policy: attached together they grant exactly what the
one document grants.
"""

from __future__ import annotations

import json
from typing import Any

MANAGED_POLICY_CHARS = 6144
INLINE_ROLE_POLICY_CHARS = 10240
MANAGED_POLICIES_PER_ROLE = 10


def size(document: dict[str, Any]) -> int:
    """Characters as IAM counts them: the JSON without white space (sagectl's ARNs and actions
    contain none)."""
    return len(json.dumps(document, separators=(",", ":")))


def split(policy: dict[str, Any], limit: int = MANAGED_POLICY_CHARS) -> list[dict[str, Any]]:
    """``policy``'s statements packed, in order, into documents of at most ``limit`` characters.
    Raises ValueError when one statement alone is larger than ``limit``."""
    documents: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for statement in policy["Statement"]:
        alone = {"Version": policy["Version"], "Statement": [statement]}
        if size(alone) > limit:
            raise ValueError(f"statement {statement.get('Sid', '?')} alone is {size(alone)} "
                             f"characters, over {limit}")
        if current and size({"Version": policy["Version"],
                             "Statement": [*current, statement]}) > limit:
            documents.append({"Version": policy["Version"], "Statement": current})
            current = []
        current.append(statement)
    if current or not documents:
        documents.append({"Version": policy["Version"], "Statement": current})
    return documents
