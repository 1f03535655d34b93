"""Checking a saved plan's registry pins again before it is applied.

A plan resolves ``latestApproved`` once and pins the package ARN (``registry:<group>:
latestApproved`` -> ARN), so applying the saved plan deploys the version that was reviewed. By
the time it is applied the version may have been rejected or deleted, and the file may have been
edited to name another package. So apply asks again: the ARN names a version of the pinned group
in the group's region and account (the environment's, for a group named by name; the ARN's, for
a central registry's group named by ARN: ``registry:<group ARN>:latestApproved``), and that
package exists, belongs to the group and is Approved. Anything else refuses the plan.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from reconciler.kinds._live import not_found
from reconciler.kinds.model.registry import denied, group_ref

if TYPE_CHECKING:
    from reconciler.plan.context import PlanContext

_KEY = re.compile(r"^registry:(?P<group>[^:]+|arn:[^/]+/[^/:]+):latestApproved$")
_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
                  r"model-package/(?P<group>[^/]+)/(?P<version>\d+)$")


def check_pin(ctx: PlanContext, key: str, value: str) -> str | None:
    """Why the pinned package must not be deployed (None: it may)."""
    pin = _KEY.match(key)
    if pin is None:
        return "not a pin sagectl makes (registry:<group>:latestApproved)"
    ref = group_ref(pin["group"])
    group = ref.name
    arn = _ARN.match(value)
    if arn is None:
        return f"{value!r} is not the ARN of a versioned model package"
    if ref.by_arn:
        if arn["region"] != ref.region:
            return f"{value} is in region {arn['region']}, not the group's {ref.region}"
        if arn["account"] != ref.account:
            return f"{value} is in account {arn['account']}, not the group's {ref.account}"
    elif arn["region"] != ctx.aws.region:
        return f"{value} is in region {arn['region']}, not the environment's {ctx.aws.region}"
    elif ctx.account and arn["account"] != ctx.account:
        return f"{value} is in account {arn['account']}, not the environment's {ctx.account}"
    if arn["group"].lower() != group.lower():  # without case: SageMaker may lower-case ARNs
        return f"{value} is a version of group {arn['group']}, not {group}"
    try:
        package = ctx.aws.client("sagemaker").describe_model_package(ModelPackageName=value)
    except ClientError as err:
        if denied(err):
            return (f"account {ctx.account or '(unknown)'} may no longer read {value}: "
                    f"{err.response.get('Error', {}).get('Message', 'access denied')}")
        # The ARN is well formed (checked above): a ValidationException says it is not there.
        if not_found(err) or err.response.get("Error", {}).get("Code") == "ValidationException":
            return f"model package {value} does not exist"
        raise
    owner = str(package.get("ModelPackageGroupName") or "")
    if owner.lower() != group.lower():
        return f"model package {value} is a version of group {owner or '(none)'}, not {group}"
    status = package.get("ModelApprovalStatus") or "(no approval status)"
    if status != "Approved":
        return f"model package {value} is {status}, not Approved"
    return None
