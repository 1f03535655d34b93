"""What the IAM policy must allow for approval triggers (``sagectl iam-policy``): the EventBridge
rule, connection and API destination named ``sagectl-*``, the token secret (described by plans,
its value read by apply only), what EventBridge needs of the caller to keep a connection's
credentials (Secrets Manager on ``events!connection/*``, the API destinations service-linked
role), and the role passed to the rule's target."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.iam.tables import Implied, Permissions, Scope, ServiceRole, read, write
from reconciler.kinds._aws import EVENTS_RULES, PASS_EVENTS, SAGECTL_PREFIX, SHARED_SCOPES

if TYPE_CHECKING:
    from reconciler.kinds.approval_trigger.spec import ApprovalTriggerSpec

CONNECTIONS, API_DESTINATIONS = "events-connections", "events-api-destinations"
RULE_LIST, TOKEN_SECRETS = "events-rule-list", "approval-token-secrets"
CONNECTION_SECRETS, API_DESTINATIONS_ROLE = "events-connection-secrets", "api-destinations-slr"
SLR = ("arn:{p}:iam::{a}:role/aws-service-role/apidestinations.events.amazonaws.com/"
       "AWSServiceRoleForAmazonEventBridgeApiDestinations")

_SECRETS_MANAGER_FOR_CONNECTIONS = ("CreateSecret", "DescribeSecret", "DeleteSecret",
                                    "GetSecretValue", "PutSecretValue", "UpdateSecret")
"""What the EventBridge user guide says a caller needs to create or update a connection ("an
account that has permission to use Secrets Manager"): the Secrets Manager actions of
AmazonEventBridgeFullAccess and of the API destinations service-linked role's policy, on the
secret EventBridge keeps for the connection (``events!connection/<name>/...``)."""
_CONNECTION_CHANGES = (("events", "CreateConnection"), ("events", "UpdateConnection"),
                       ("events", "DeleteConnection"))

PERMISSIONS = Permissions(
    scopes={
        EVENTS_RULES: SHARED_SCOPES[EVENTS_RULES],
        PASS_EVENTS: SHARED_SCOPES[PASS_EVENTS],
        CONNECTIONS: Scope("EventBridgeConnections",
                           (f"arn:{{p}}:events:{{r}}:{{a}}:connection/{SAGECTL_PREFIX}*",)),
        API_DESTINATIONS: Scope(
            "EventBridgeApiDestinations",
            (f"arn:{{p}}:events:{{r}}:{{a}}:api-destination/{SAGECTL_PREFIX}*",)),
        # ListRules names no rule; "*" fits whether IAM scopes it or not
        RULE_LIST: Scope("EventBridgeListRules", ("*",)),
        # per spec: the specs' tokenSecretArn, else any secret of the account and region
        TOKEN_SECRETS: Scope("ApprovalTriggerTokenSecrets",
                             ("arn:{p}:secretsmanager:{r}:{a}:secret:*",), per_spec=True),
        CONNECTION_SECRETS: Scope(
            "EventBridgeConnectionSecrets",
            (f"arn:{{p}}:secretsmanager:{{r}}:{{a}}:secret:events!connection/"
             f"{SAGECTL_PREFIX}*",)),
        API_DESTINATIONS_ROLE: Scope("EventBridgeApiDestinationsServiceLinkedRole", (SLR,),
                                     ("StringEquals", "iam:AWSServiceName",
                                      "apidestinations.events.amazonaws.com")),
    },
    operations={
        "events": {
            "DescribeConnection": read(CONNECTIONS),
            "DescribeApiDestination": read(API_DESTINATIONS),
            "DescribeRule": read(EVENTS_RULES),
            "ListRules": read(RULE_LIST),
            "ListTagsForResource": read(EVENTS_RULES),
            "ListTargetsByRule": read(EVENTS_RULES),
            "CreateConnection": write(CONNECTIONS),
            "UpdateConnection": write(CONNECTIONS),
            "DeleteConnection": write(CONNECTIONS),
            "CreateApiDestination": write(API_DESTINATIONS),
            "UpdateApiDestination": write(API_DESTINATIONS),
            "DeleteApiDestination": write(API_DESTINATIONS),
            "PutRule": write(EVENTS_RULES),
            "DeleteRule": write(EVENTS_RULES),
            "PutTargets": write(EVENTS_RULES),
            "RemoveTargets": write(EVENTS_RULES),
            "TagResource": write(EVENTS_RULES),
            "UntagResource": write(EVENTS_RULES),
        },
        "secretsmanager": {
            "DescribeSecret": read(TOKEN_SECRETS),
            # the token: apply reads it; no plan may (kept out of `--mode plan`)
            "GetSecretValue": read(TOKEN_SECRETS, apply_only=True),
        },
    },
    implied=(
        *(Implied(f"secretsmanager:{action}", (CONNECTION_SECRETS,), _CONNECTION_CHANGES,
                  "EventBridge keeps a connection's credentials in a Secrets Manager secret, "
                  "with the caller's permission") for action in _SECRETS_MANAGER_FOR_CONNECTIONS),
        Implied("iam:CreateServiceLinkedRole", (API_DESTINATIONS_ROLE,),
                (("events", "CreateConnection"),),
                "the first connection creates the API destinations service-linked role"),
        Implied("iam:PassRole", (PASS_EVENTS,), (("events", "PutTargets"),),
                "the role a rule's target invokes the API destination as"),
        Implied("events:TagResource", (EVENTS_RULES,), (("events", "PutRule"),),
                "PutRule with Tags (tag on create)"),
    ),
)


def policy_resources(spec: ApprovalTriggerSpec) -> dict[str, list[str]]:
    """The token secret and the role the target is invoked as."""
    return {TOKEN_SECRETS: [spec.token_secret_arn], PASS_EVENTS: [spec.role_arn]}


def service_role(address: str, name: str, spec: ApprovalTriggerSpec) -> ServiceRole:
    """The role EventBridge invokes the API destination as: events:InvokeApiDestination on it
    (the resource form AWS's CDK documents for policies, ``api-destination/<name>``, and the ARN
    EventBridge gives it, which ends in an id)."""
    destination = f"arn:{{p}}:events:{{r}}:{{a}}:api-destination/{SAGECTL_PREFIX}{name}"
    return ServiceRole(spec.role_arn, "events.amazonaws.com", ("events:InvokeApiDestination",),
                       (destination, f"{destination}/*"), address)
