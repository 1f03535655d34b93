"""Reading a model package group of another account: the group's resource policy decides.

ListModelPackages and DescribeModelPackageGroup take the group's ARN, DescribeModelPackage a
package's ARN; an ARN of another account than the caller's is served from that account's
registry when the group's resource policy (PutModelPackageGroupPolicy) allows the caller's
account the action, else refused with AccessDeniedException. The wording follows IAM's
documented form for a resource policy that does not allow ("... is not authorized to perform:
<action> on resource: <arn> because no resource-based policy allows the <action> action").

What the emulator cannot know, and approximates (sagemaker-rules.md, "Not documented"): the
calling principal is only its account here (the header or access key), so any principal of that
account in a statement (the account id, its root, a role or user ARN in it, or ``*``) grants it;
conditions are not evaluated; an explicit Deny that matches wins. The statement's Resource must
match (``*`` wildcards) the group's ARN, or for a package, the package's ARN
(``model-package/<group>/<version>``); ListModelPackages accepts either.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

from moto.sagemaker.models import sagemaker_backends

from sagemaker_emulator.dispatch import AwsError, CallContext, handler

_ARN = re.compile(r"^arn:aws[a-z\-]*:sagemaker:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
                  r"(?P<type>model-package-group|model-package)/(?P<name>[^/]+)(/(?P<v>\d+))?$")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any, account: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for item in _listed(principal.get("AWS", [])):
        text = str(item)
        if text in ("*", account) or text.startswith((f"arn:aws:iam::{account}:",
                                                        f"arn:aws:sts::{account}:")):
            return True
    return False


def _action_matches(actions: Any, action: str) -> bool:
    return any(fnmatchcase(f"sagemaker:{action}".lower(), str(a).lower())
               for a in _listed(actions))


def _resource_matches(resources: Any, arns: list[str]) -> bool:
    return any(fnmatchcase(arn.lower(), str(r).lower()) for r in _listed(resources)
               for arn in arns)


def allows(policy_text: str | None, account: str, action: str, arns: list[str]) -> bool:
    """Whether ``policy_text`` lets ``account`` do ``action`` on one of ``arns``."""
    if not policy_text:
        return False
    try:
        statements = _listed(json.loads(policy_text).get("Statement", []))
    except (ValueError, AttributeError):
        return False
    matching = [s for s in statements if isinstance(s, dict)
                and _principal_matches(s.get("Principal"), account)
                and _action_matches(s.get("Action", []), action)
                and _resource_matches(s.get("Resource", []), arns)]
    if any(s.get("Effect") == "Deny" for s in matching):
        return False
    return any(s.get("Effect") == "Allow" for s in matching)


def owner_backend(ctx: CallContext, ref: Any) -> Any:
    """The registry that serves ``ref`` (a name, or an ARN of a group or package): the caller's,
    or, for an ARN of another account, that account's once its group's policy allows the
    call."""
    found = _ARN.match(str(ref or ""))
    if found is None or found["account"] == ctx.account:
        region = found["region"] if found else ctx.region
        return sagemaker_backends[ctx.account][region]
    backend = sagemaker_backends[found["account"]][found["region"]]
    group_name = found["name"]
    group = next((g for n, g in backend.model_package_groups.items()
                  if n.lower() == group_name.lower()), None)
    group_arn = (group.arn if group is not None else
                 f"arn:aws:sagemaker:{found['region']}:{found['account']}:"
                 f"model-package-group/{group_name}")
    versions = str(ref).replace(":model-package-group/", ":model-package/", 1) + "/*"
    package_arn = str(ref) if found["type"] == "model-package" else versions
    arns = {"DescribeModelPackageGroup": [group_arn], "DescribeModelPackage": [package_arn],
            "ListModelPackages": [group_arn, package_arn]}.get(ctx.action, [group_arn])
    policy = getattr(group, "_sagectl_policy", None) if group is not None else None
    if not allows(policy, ctx.account, ctx.action, arns):
        raise AwsError(
            "AccessDeniedException",
            f"User: arn:aws:sts::{ctx.account}:assumed-role/sagectl/session is not authorized to "
            f"perform: sagemaker:{ctx.action} on resource: {arns[0]} because no resource-based "
            f"policy allows the sagemaker:{ctx.action} action")
    return backend


def _summary_members() -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return frozenset(model.shape_for("ModelPackageSummary").members)


_SUMMARY = _summary_members()


@handler("sagemaker", "ListModelPackages")
def list_model_packages(ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
    """moto's ListModelPackages, served from the group's account (the caller's, or the one its
    ARN names when that group's policy allows the caller)."""
    backend = owner_backend(ctx, params.get("ModelPackageGroupName"))
    packages, token = backend.list_model_packages(
        creation_time_after=params.get("CreationTimeAfter"),
        creation_time_before=params.get("CreationTimeBefore"),
        max_results=params.get("MaxResults"), name_contains=params.get("NameContains"),
        model_approval_status=params.get("ModelApprovalStatus"),
        model_package_group_name=params.get("ModelPackageGroupName"),
        model_package_type=params.get("ModelPackageType", "Unversioned"),
        next_token=params.get("NextToken"), sort_by=params.get("SortBy"),
        sort_order=params.get("SortOrder"))
    out: dict[str, Any] = {"ModelPackageSummaryList": [
        {k: v for k, v in p.gen_response_object().items() if k in _SUMMARY and v is not None}
        for p in packages]}
    if token:
        out["NextToken"] = token
    return out
