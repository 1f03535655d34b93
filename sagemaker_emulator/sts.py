"""STS AssumeRole as AWS decides it: the role's trust policy must allow the caller.

moto assumes any role ARN, existing or not, trusting everyone (its docstring: "the role does not
need to exist"). AWS does not: "You specify the trusted principal that is allowed to assume the
role in the role trust policy. To assume a role from a different account, your Amazon Web
Services account must be trusted by the role" (API_AssumeRole), and a role that asks for an
external id is assumed only with it (``sts:ExternalId``, same page). The emulator therefore
refuses, with the common error ``AccessDeniedException`` (HTTP 400, one of the two statuses the
Common Errors pages give it), an AssumeRole of a role that its account's IAM does not hold, or
whose trust policy has no statement allowing ``sts:AssumeRole`` to the caller (its account,
``arn:aws:iam::ACCOUNT:root``, its ARN, or ``*``) with matching ``StringEquals``
``sts:ExternalId`` conditions. Only what sagectl's environments rely on is evaluated: an Allow
with another condition does not match, a Deny with one does (denied, never wrongly allowed).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from moto.iam.models import iam_backends
from moto.sts.responses import TokenResponse

from sagemaker_emulator.dispatch import AwsError

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_allows(principal: Any, account: str, caller_arn: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for name in _listed(principal.get("AWS", [])):
        if name in ("*", account, f"arn:aws:iam::{account}:root", caller_arn):
            return True
    return False


def _conditions_hold(condition: Any, external_id: str | None) -> bool:
    if not condition:
        return True
    if not isinstance(condition, dict) or set(condition) != {"StringEquals"}:
        return False
    tests = condition["StringEquals"]
    if not isinstance(tests, dict) or set(tests) != {"sts:ExternalId"}:
        return False
    return external_id is not None and external_id in _listed(tests["sts:ExternalId"])


def trust_allows(document: str, account: str, caller_arn: str, external_id: str | None) -> bool:
    """Whether a trust policy lets the caller (``account``, ``caller_arn``) assume the role."""
    try:
        policy = json.loads(unquote(document)) if document else {}
    except json.JSONDecodeError:
        return False
    allowed = False
    for statement in _listed(policy.get("Statement", [])):
        if not isinstance(statement, dict):
            continue
        actions = _listed(statement.get("Action", []))
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        if not _principal_allows(statement.get("Principal"), account, caller_arn):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if _conditions_hold(statement.get("Condition"), external_id):
            allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _caller_arn(response: Any) -> str:
    _, arn, _ = response.backend.get_caller_identity(response.get_access_key(), response.region)
    return str(arn)


_moto_assume_role = TokenResponse.assume_role


def _assume_role(self: Any) -> Any:
    role_arn = self._get_param("RoleArn") or ""
    external_id = self._get_param("ExternalId")
    caller = _caller_arn(self)
    # AWS's common error for a denied request (the API reference's Common Errors:
    # AccessDeniedException, HTTP 400 or 403); its message names the caller, action and resource.
    denied = AwsError("AccessDeniedException", f"User: {caller} is not authorized to perform: "
                      f"sts:AssumeRole on resource: {role_arn}")
    found = _ROLE_ARN.match(role_arn)
    if not found:
        raise denied
    account, name = found.groups()
    roles = iam_backends[account]["aws"].roles.values()
    role = next((r for r in roles if r.name == name), None)
    if role is None or not trust_allows(role.assume_role_policy_document, self.current_account,
                                        caller, external_id):
        raise denied
    return _moto_assume_role(self)


TokenResponse.assume_role = _assume_role  # type: ignore[method-assign]
