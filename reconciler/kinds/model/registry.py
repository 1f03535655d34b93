"""A container's registry group, named in this account (``modelPackageGroupName``) or by ARN in
any account (``modelPackageGroupArn``: a central registry), and what that means for reading it.

ListModelPackages and DescribeModelPackageGroup take the group's name or its ARN
(``ModelPackageGroupName``: ``(arn:aws[a-z\\-]*:sagemaker:...:[0-9]{12}:[a-z\\-]*/)?<name>``), and
DescribeModelPackage a versioned package's ARN, so a group in another account is read with the
environment's own credentials: the group's resource policy decides (the registry account grants
``sagemaker:DescribeModelPackage``, ``ListModelPackages`` and ``DescribeModelPackageGroup``;
sagemaker-rules.md). A refusal is an AccessDeniedException, which the plan reports as an error
naming the group and the account that was refused, never as "no version approved yet".

Model artifacts registered in the registry account are read by the *workload's* execution role
when SageMaker creates the model. Their bucket's policy (and its KMS key) decide, and sagectl
cannot see either: the plan warns, and says that it cannot tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from botocore.exceptions import ClientError

_GROUP_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):"
                        r"(?P<account>\d{12}):model-package-group/(?P<name>[^/]+)$")


@dataclass(frozen=True)
class GroupRef:
    """A registry group as a container names it."""

    ref: str
    """What the spec says: a name, or an ARN (what the registry calls are given)."""
    name: str
    account: str | None
    """The account named by an ARN (None: a name, the environment's own account)."""
    region: str | None

    @property
    def by_arn(self) -> bool:
        return self.account is not None

    def package_arn(self, version: int, region: str, account: str | None) -> str:
        """The ARN of one version (``model-package/<group>/<version>``) in the group's account
        and region (the environment's for a group named by name)."""
        if self.by_arn:
            base = self.ref.replace(":model-package-group/", ":model-package/", 1)
            return f"{base}/{version}"
        return (f"arn:aws:sagemaker:{region}:{account or '000000000000'}:model-package/"
                f"{self.name}/{version}")


def group_ref(ref: str) -> GroupRef:
    found = _GROUP_ARN.match(ref)
    if found is None:
        return GroupRef(ref, ref, None, None)
    return GroupRef(ref, found["name"], found["account"], found["region"])


class RegistryDenied(Exception):
    """The registry account's resource policy does not let this account read the group."""


def denied(err: ClientError) -> bool:
    return err.response.get("Error", {}).get("Code") in ("AccessDeniedException",
                                                          "AccessDenied")


def denied_message(group: GroupRef, account: str | None, err: ClientError) -> str:
    owner = group.account or "?"
    return (f"account {account or '(unknown)'} may not read model package group {group.ref} "
            f"(account {owner}): {err.response.get('Error', {}).get('Message', 'access denied')}"
            "; the group's resource policy in account " + owner + " must grant this account "
            "sagemaker:DescribeModelPackage, sagemaker:ListModelPackages and "
            "sagemaker:DescribeModelPackageGroup")


def artifact_warning(group: GroupRef, account: str | None, role: str | None,
                     urls: list[str]) -> str | None:
    """The warning for artifacts a package of another account's registry brings (None: the
    group is in this account, or the package names no S3 artifacts)."""
    if not group.by_arn or group.account == account or not urls:
        return None
    buckets = sorted({u.split("/", 3)[2] for u in urls if u.startswith("s3://")})
    if not buckets:
        return None
    who = f"execution role {role}" if role else "the model's execution role"
    return (f"the package from {group.ref} brings model artifacts in bucket(s) "
            f"{', '.join(buckets)} (registered in account {group.account}); if a bucket is not in "
            f"account {account or '(this account)'}, {who} can read it only if that bucket's "
            "policy (and its KMS key policy, if encrypted) grants it. sagectl cannot see bucket "
            "policies: this is a warning, not a finding")
