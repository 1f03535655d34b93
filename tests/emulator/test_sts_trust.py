"""The emulator's AssumeRole follows the role's trust policy (sagemaker_emulator/sts.py): moto
alone would hand out credentials for any role ARN, existing or not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from sagemaker_emulator.sts import trust_allows

CALLER = "123456789012"
ROLE_ACCOUNT = "222222222222"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


CALLER_ARN = f"arn:aws:iam::{CALLER}:role/sagectl-ci"


@pytest.mark.parametrize(("document", "external_id", "allowed"), [
    (policy(allow({"AWS": CALLER})), None, True),
    (policy(allow({"AWS": f"arn:aws:iam::{CALLER}:root"})), None, True),
    (policy(allow({"AWS": [CALLER_ARN, "arn:aws:iam::999999999999:root"]})), None, True),
    (policy(allow("*")), None, True),
    (policy(allow({"AWS": "arn:aws:iam::999999999999:root"})), None, False),
    (policy(allow({"Service": "sagemaker.amazonaws.com"})), None, False),
    (policy({**allow({"AWS": CALLER}), "Action": "sts:AssumeRoleWithWebIdentity"}), None, False),
    (policy(allow({"AWS": CALLER}, Condition={"StringEquals": {"sts:ExternalId": "e-1"}})),
     "e-1", True),
    (policy(allow({"AWS": CALLER}, Condition={"StringEquals": {"sts:ExternalId": "e-1"}})),
     "e-2", False),
    (policy(allow({"AWS": CALLER}, Condition={"StringEquals": {"sts:ExternalId": "e-1"}})),
     None, False),
    (policy(allow({"AWS": CALLER}, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
     None, False),  # a condition the emulator does not evaluate never allows
    (policy(allow({"AWS": CALLER}), {**allow({"AWS": CALLER_ARN}), "Effect": "Deny"}), None,
     False),
    ("not json", None, False),
])
def test_trust_policies(document: str, external_id: str | None, allowed: bool) -> None:
    assert trust_allows(document, CALLER, CALLER_ARN, external_id) is allowed


def test_assume_role_needs_an_existing_role_that_trusts_the_caller(emu: Emulator) -> None:
    sts = emu.client("sts")
    role = f"arn:aws:iam::{ROLE_ACCOUNT}:role/deployer"
    with pytest.raises(ClientError) as missing:
        sts.assume_role(RoleArn=role, RoleSessionName="s1")
    assert missing.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"is not authorized to perform: sts:AssumeRole on resource: {role}" in \
        missing.value.response["Error"]["Message"]
    iam = emu.client("iam")
    iam.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", ROLE_ACCOUNT))
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=policy(allow({"AWS": CALLER})))
    answer = sts.assume_role(RoleArn=role, RoleSessionName="s2")
    assert answer["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{ROLE_ACCOUNT}:assumed-role/deployer/s2"
