"""Acting as an environment's role (``assumeRoleArn``, or ``planRoleArn`` for the read-only
commands: ``EnvironmentSpec.role``): STS AssumeRole from the caller's credentials (whatever boto3
resolved: profile, environment, SSO, OIDC web identity), with credentials that renew themselves.

Why botocore's ``RefreshableCredentials`` rather than one AssumeRole call: an apply can outlast
the session (AWS's default ``DurationSeconds`` is 3600 s; a blue/green rollout with bake times
and alarms can take longer). ``RefreshableCredentials`` is the mechanism botocore itself uses for
``role_arn`` profiles and container/instance roles: every request asks it for frozen credentials;
15 minutes before expiry it refreshes in the background of one request (advisory), 10 minutes
before it blocks until renewed (mandatory), under a lock, so the pool's threads never sign with
expired keys and only one of them calls STS. Our refresher is one AssumeRole call with the same
parameters.

The first AssumeRole is made at once (not deferred), so a refusal (the trust policy, the external
id) and an assumed identity in another account than the environment's are reported before any
planning starts, naming the role and what to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.aws import AwsConfigError, observe_client

SESSION_SECONDS = 3600
"""``DurationSeconds`` asked for: AWS's documented default (API_AssumeRole: 900 s up to the
role's maximum session duration, 1 to 12 hours; role chaining limits it to one hour, so 3600 is
valid both when the caller is itself an assumed role and when it is not)."""

_SESSION_CHARS = re.compile(r"[^\w+=,.@-]")


def session_name(env: str, commit: str) -> str:
    """``sagectl-<env>-<commit12>``: what CloudTrail in the role's account shows for every call
    of this run. RoleSessionName is 2 to 64 characters of ``[\\w+=,.@-]`` (API_AssumeRole);
    other characters become ``-`` and a long environment name is cut so the commit survives."""
    short = _SESSION_CHARS.sub("-", commit[:12]) if commit and commit != "unknown" else "nocommit"
    env_part = _SESSION_CHARS.sub("-", env)[:64 - len("sagectl--") - len(short)]
    return f"sagectl-{env_part}-{short}"


@dataclass(frozen=True)
class RoleRequest:
    role_arn: str
    session_name: str
    external_id: str | None = None
    duration: int = SESSION_SECONDS
    env: str = ""
    env_file: str = ""
    expected_account: str | None = None
    field: str = "assumeRoleArn"
    """The environment field that names the role (``assumeRoleArn`` or ``planRoleArn``)."""

    @property
    def what(self) -> str:
        """The role as messages name it: the field, and which commands act as it."""
        if self.field == "planRoleArn":
            return "its planRoleArn, the role of the read-only commands"
        return "its assumeRoleArn"

    @property
    def mode(self) -> str:
        """``iam-policy --mode`` whose trust policy and permissions are this role's."""
        return "plan" if self.field == "planRoleArn" else "apply"


@dataclass(frozen=True)
class Assumed:
    session: Any
    """A boto3 Session whose credentials are the role's, refreshed before they expire."""
    arn: str
    """The assumed-role ARN (``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``)."""
    credentials: Any

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]


def _refusal(request: RoleRequest, err: Any, caller: str) -> AwsConfigError:
    info = err.response.get("Error", {})
    external = (f"the externalId of {request.env_file} must be the one its "
                "sts:ExternalId condition asks for" if request.external_id else
                f"{request.env_file} sets no externalId: if the trust policy has an "
                "sts:ExternalId condition, set spec.externalId")
    return AwsConfigError(
        f"cannot assume role {request.role_arn} for environment {request.env!r} "
        f"({request.what}): AWS refused AssumeRole ({info.get('Code')}: {info.get('Message')}). "
        f"Check: the role exists; its trust policy allows {caller} to sts:AssumeRole (`sagectl "
        f"iam-policy --trust-policy --env {request.env} --mode {request.mode} --principal ...` "
        "prints one); the caller's own policies allow "
        f"sts:AssumeRole on {request.role_arn}; {external}")


def assume(base: Any, request: RoleRequest, *, region: str, endpoint_url: str | None = None,
           time_fetcher: Callable[[], datetime] | None = None) -> Assumed:
    """The role's session, assumed from ``base`` (a boto3 Session with the caller's
    credentials); ``time_fetcher`` is botocore's clock for expiry (tests move it)."""
    import boto3
    import botocore.session
    from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
    from botocore.exceptions import ClientError

    sts = base.client("sts", region_name=region, endpoint_url=endpoint_url)
    observe_client(sts)  # the IAM coverage check sees sts:AssumeRole (tests/iam_coverage.py)
    params: dict[str, Any] = {"RoleArn": request.role_arn, "RoleSessionName": request.session_name,
                              "DurationSeconds": request.duration}
    if request.external_id:
        params["ExternalId"] = request.external_id
    identity: dict[str, str] = {}

    def fetch() -> dict[str, Any]:
        answer = sts.assume_role(**params)
        identity["arn"] = answer["AssumedRoleUser"]["Arn"]
        found = answer["Credentials"]
        return {"access_key": found["AccessKeyId"], "secret_key": found["SecretAccessKey"],
                "token": found["SessionToken"], "expiry_time": found["Expiration"].isoformat()}

    try:
        first = fetch()
    except ClientError as err:
        try:
            caller = sts.get_caller_identity()["Arn"]
        except ClientError:
            caller = "the caller"
        raise _refusal(request, err, caller) from None
    options: dict[str, Any] = {} if time_fetcher is None else {"time_fetcher": time_fetcher}
    credentials = RefreshableCredentials(
        first["access_key"], first["secret_key"], first["token"],
        datetime.fromisoformat(first["expiry_time"]), fetch, "sagectl-assume-role", **options)

    class _Provider(CredentialProvider):  # type: ignore[misc]
        METHOD = "sagectl-assume-role"

        def load(self) -> Any:
            return credentials

    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver(providers=[_Provider()]))
    assumed = Assumed(boto3.Session(botocore_session=core, region_name=region), identity["arn"],
                      credentials)
    expected = request.expected_account
    if expected and assumed.account != expected:
        raise AwsConfigError(
            f"environment {request.env!r} is account {expected} ({request.env_file}), but its "
            f"{request.field} {request.role_arn} gave an identity in account {assumed.account} "
            f"({assumed.arn}); refusing to act in another account: fix accountId or "
            f"{request.field}")
    return assumed
