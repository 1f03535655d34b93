"""The ``ApprovalTrigger`` spec: which GitHub repository hears of approvals, with which token
(by reference), as which role, for which registry groups; checked before AWS sees it."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from reconciler.contract import CheckContext, Issue, SpecModel, describe_pattern, duplicates
from reconciler.kinds._aws import SAGEMAKER_NAME_PATTERN, RoleArn, Tags, check_tags
from reconciler.kinds.approval_trigger import desired
from reconciler.spec.errors import SENSITIVE_VALUES
from reconciler.spec.nodes import Path

REPOSITORY_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
SECRET_ARN_PATTERN = (r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:"
                      r"[A-Za-z0-9/_+=.@-]+$")
EVENT_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
API_URL_PATTERN = r"^https://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~/-]*)?$"
GROUP_KIND = "ModelPackageGroup"
PIPELINE_KIND = "Pipeline"

describe_pattern(REPOSITORY_PATTERN, "a GitHub repository as owner/name (e.g. acme/ml-platform)")
describe_pattern(SECRET_ARN_PATTERN, "a Secrets Manager secret ARN "
                                     "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf)")
describe_pattern(EVENT_TYPE_PATTERN, "1-100 letters, digits and . _ : - (starting with a letter "
                                     "or digit)")
describe_pattern(API_URL_PATTERN, "an https:// URL of GitHub's REST API (https://api.github.com, "
                                  "or https://HOST/api/v3 for GitHub Enterprise Server)")

Repository = Annotated[str, StringConstraints(max_length=140, pattern=REPOSITORY_PATTERN)]
SecretArn = Annotated[str, StringConstraints(min_length=20, max_length=2048,
                                             pattern=SECRET_ARN_PATTERN), SENSITIVE_VALUES]
"""Marked sensitive: a token written here by mistake is never repeated by a validation error."""
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=63,
                                             pattern=SAGEMAKER_NAME_PATTERN)]


class ApprovalTriggerSpec(SpecModel):
    """Approval becomes a pull request: an EventBridge rule on the default event bus that matches
    only `ModelApprovalStatus: Approved` state changes of this environment's model package
    groups, and sends GitHub a `repository_dispatch` through an API destination and a
    connection authorized with a token kept in Secrets Manager."""

    repository: Repository
    """The GitHub repository whose workflows hear of approvals, `owner/name`: EventBridge calls
    `POST <apiUrl>/repos/<owner>/<name>/dispatches`."""
    token_secret_arn: SecretArn
    """The Secrets Manager secret whose value is the GitHub token (a fine-grained token with
    Contents: read and write on the repository, or a GitHub App token), never the token itself.
    Read with GetSecretValue at apply time only; the plan shows this ARN and the secret's
    version, never its value."""
    role_arn: RoleArn
    """The role EventBridge invokes the API destination as (trusted by events.amazonaws.com,
    allowed events:InvokeApiDestination on it: `sagectl iam-policy --service-roles`)."""
    model_package_groups: Annotated[list[GroupName], Field(min_length=1)] | None = None
    """The groups whose approvals are sent (default: every ModelPackageGroup the specs declare
    for this environment)."""
    event_type: Annotated[str, StringConstraints(max_length=100,
                                                 pattern=EVENT_TYPE_PATTERN)] = \
        desired.DEFAULT_EVENT_TYPE
    """The dispatch's `event_type` (what `.github/workflows/promote.yml` listens for)."""
    api_url: Annotated[str, StringConstraints(max_length=1024, pattern=API_URL_PATTERN)] = \
        desired.DEFAULT_API_URL
    """GitHub's REST API (GitHub Enterprise Server: `https://HOST/api/v3`)."""
    invocation_rate_limit_per_second: Annotated[int, Field(ge=1)] | None = None
    """The API destination's invocation rate limit (EventBridge's default when not set)."""
    state: Literal["ENABLED", "DISABLED"] = "ENABLED"
    """The rule's state: DISABLED keeps everything and sends nothing."""
    tags: Tags = {}
    """Tags of the rule (EventBridge tags rules and event buses only)."""

    def groups(self, ctx_names: list[str]) -> list[str]:
        """The groups the rule matches, given the groups the environment declares."""
        return list(self.model_package_groups or ctx_names)

    def check(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        yield from check_tags(self.tags, (*at, "tags"))
        yield from self._check_groups(ctx, at)
        yield from self._check_secret(ctx, at)
        if ctx.account_id and self.role_arn.split(":")[4] != ctx.account_id:
            yield Issue((*at, "roleArn"), f"the role is in account {self.role_arn.split(':')[4]}, "
                                          f"environment {ctx.env!r} is account {ctx.account_id}: "
                                          "EventBridge invokes the target as this role from "
                                          "the rule's account; sagectl expects it there",
                        severity="warning")
        url = desired.dispatch_url(self.api_url, self.repository)
        if len(url) > 2048 or not desired.INVOCATION_ENDPOINT.match(url):
            yield Issue((*at, "apiUrl"), f"the dispatch URL {url!r} is not an API destination "
                                         "endpoint EventBridge accepts (at most 2,048 "
                                         "characters of URL characters)")

    def _check_groups(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        declared = ctx.names(GROUP_KIND)
        where = f"environment {ctx.env!r}" if ctx.env else "the specs"
        if not declared:
            return  # said by the kind's check, which knows the trigger's name
        listed = self.model_package_groups or []
        for name, later in duplicates(listed).items():
            for i in later:
                yield Issue((*at, "modelPackageGroups", i), f"group {name!r} is listed twice")
        for i, name in enumerate(listed):
            if name not in declared:
                close = difflib.get_close_matches(name, declared, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                yield Issue((*at, "modelPackageGroups", i),
                            f"{where} declares no ModelPackageGroup {name!r}{hint}; declared: "
                            f"{', '.join(declared)}")
        text = desired.pattern_text(desired.event_pattern(self.groups(declared)))
        if len(text) > desired.EVENT_PATTERN_MAX:
            yield Issue((*at, "modelPackageGroups") if listed else at,
                        f"the rule's event pattern would be {len(text):,} characters; "
                        f"EventBridge takes at most {desired.EVENT_PATTERN_MAX:,} (PutRule "
                        "EventPattern): split the groups over several ApprovalTriggers")

    def _check_secret(self, ctx: CheckContext, at: Path) -> Iterator[Issue]:
        parts = self.token_secret_arn.split(":")
        region, account = parts[3], parts[4]
        where = (*at, "tokenSecretArn")
        if ctx.region and region != ctx.region:
            yield Issue(where, f"the secret is in region {region}, environment {ctx.env!r} in "
                               f"{ctx.region}: a secret is read in its own region, and sagectl "
                               "reads it with the environment's regional client")
        if ctx.account_id and account != ctx.account_id:
            yield Issue(where, f"the secret is in account {account}, environment {ctx.env!r} is "
                               f"account {ctx.account_id}: Secrets Manager allows reading a "
                               "secret of another account only when its resource policy and "
                               "the reader's policy both allow it and it is encrypted with a "
                               "customer managed KMS key (not aws/secretsmanager); sagectl "
                               "cannot see those", severity="warning")
