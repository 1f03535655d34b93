"""A registry environment with an approval trigger, its token secret, and what tests read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sagemaker_emulator import Emulator
from tests.plan.helpers import aws_for, write

TOKEN = "ghp_s3cr3tT0kenValue0123456789abcdefXYZ"
"""The GitHub token the tests store: it must appear in no plan, event, log or error."""
ROTATED = "github_pat_R0tated0123456789abcdefghijklmnop"
ROLE = "arn:aws:iam::111111111111:role/sagectl-approval-dispatch"
GROUP = """
apiVersion: sagectl/v1
kind: ModelPackageGroup
metadata: {name: %s}
spec:
  modelPackageGroupDescription: fraud models
"""
TRIGGER = """
apiVersion: sagectl/v1
kind: ApprovalTrigger
metadata: {name: promote-on-approval}
spec:
  repository: acme/ml-platform
  tokenSecretArn: %(secret)s
  roleArn: %(role)s
"""


def secret(emu: Emulator, value: str = TOKEN, name: str = "github-dispatch") -> str:
    """The token secret (created once; a second call puts a new current version)."""
    sm = aws_for(emu).client("secretsmanager")
    try:
        return sm.create_secret(Name=name, SecretString=value)["ARN"]  # type: ignore[no-any-return]
    except sm.exceptions.ResourceExistsException:
        sm.put_secret_value(SecretId=name, SecretString=value)
        return sm.describe_secret(SecretId=name)["ARN"]  # type: ignore[no-any-return]


def current_version(emu: Emulator, arn: str) -> str:
    stages = aws_for(emu).client("secretsmanager").describe_secret(
        SecretId=arn)["VersionIdsToStages"]
    return next(v for v, labels in stages.items() if "AWSCURRENT" in labels)


def tree(tmp_path: Path, secret_arn: str, extra: str = "", groups: tuple[str, ...] = (
        "fraud-models",), prune: bool = False) -> Path:
    files = {f"registry/{g}.yaml": GROUP % g for g in groups}
    files["trigger.yaml"] = TRIGGER % {"secret": secret_arn, "role": ROLE} + extra
    return write(tmp_path, files, prune=prune)


def events(emu: Emulator) -> Any:
    return aws_for(emu).client("events")


def parts(emu: Emulator, name: str = "sagectl-promote-on-approval") -> dict[str, Any]:
    """What exists in EventBridge under the trigger's name (None: missing)."""
    ev = events(emu)

    def get(call: Any, **params: Any) -> Any:
        try:
            found = call(**params)
        except ev.exceptions.ResourceNotFoundException:
            return None
        found.pop("ResponseMetadata", None)
        return found

    rule = get(ev.describe_rule, Name=name)
    return {"connection": get(ev.describe_connection, Name=name),
            "apiDestination": get(ev.describe_api_destination, Name=name),
            "rule": rule,
            "targets": ev.list_targets_by_rule(Rule=name)["Targets"] if rule else None}


def pattern(emu: Emulator) -> dict[str, Any]:
    return json.loads(parts(emu)["rule"]["EventPattern"])  # type: ignore[no-any-return]


def sent_api_key(emu: Emulator, name: str = "sagectl-promote-on-approval") -> str:
    """The API key value the connection was last given. DescribeConnection never returns it
    (rule 81); EventBridge keeps the connection's parameters in a Secrets Manager secret of its
    own (``SecretArn``), which the test reads (the emulator writes the AuthParameters as JSON)."""
    arn = events(emu).describe_connection(Name=name)["SecretArn"]
    text = aws_for(emu).client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    return json.loads(text)["ApiKeyAuthParameters"]["ApiKeyValue"]  # type: ignore[no-any-return]
