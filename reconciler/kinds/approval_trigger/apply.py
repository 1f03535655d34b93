"""Applying ``ApprovalTrigger`` changes: the kind's part in the engine's step runner
(``reconciler/apply/steps.py``). The steps are EventBridge calls as planned (``steps.py``); what the
plan could not know is filled in here, just before each call:

- the token. A CreateConnection or UpdateConnection gets ``Authorization: Bearer <token>``, the
  token being the value of the secret version the plan saw current (GetSecretValue with that
  VersionId: a rotation between plan and apply moves the plan's fingerprint, and apply refuses
  it). The undo of an update gets the version the connection had, read now too, so that a failure
  can restore it. The value lives in this object's memory only: never in a step's ``params``,
  the saved plan, an apply event, a log or an error (error texts are scrubbed of it);
- the ARN of a connection or API destination created in the same change (from the create's
  answer, or, when a re-run finds it already there, DescribeConnection / DescribeApiDestination).

A deletion of a part that is already gone (ResourceNotFoundException) is done.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reconciler.apply.context import ApplyContext, StepFailed
from reconciler.apply.steps import StepHooks, UndoLog, method_name
from reconciler.kinds._live import not_found
from reconciler.kinds.approval_trigger import steps as st
from reconciler.plan.model import ResourceChange, Step, Undo

CONNECTIONS = ("events:CreateConnection", "events:UpdateConnection")
DELETES = ("events:RemoveTargets", "events:DeleteRule", "events:DeleteApiDestination",
           "events:DeleteConnection")
TOKEN_MAX = 512 - len(st.TOKEN_PREFIX)
_TOKEN_OK = re.compile(r"^[^\x00-\x1F:\x7F\s]+$")
"""A token EventBridge takes in ``Bearer <token>``: ApiKeyValue is at most 512 characters of
``^[ \\t]*[^\\x00-\\x1F:\\x7F]+([ \\t]+[^\\x00-\\x1F:\\x7F]+)*[ \\t]*$`` (botocore's model); a
token has no spaces."""


class TriggerSteps(StepHooks):
    """Fills in the token and the ARNs; sends; scrubs the token from errors."""

    def __init__(self, actx: ApplyContext, change: ResourceChange, log: UndoLog) -> None:
        super().__init__(actx, change, log)
        self._tokens: dict[tuple[str, str], str] = {}
        self._arns: dict[str, str] = {}
        self._undo: dict[int, list[Undo]] = {}

    # -- the token -----------------------------------------------------------------------------
    def _token(self, arn: str, version: str) -> str:
        key = (arn, version)
        if key not in self._tokens:
            try:
                found = self.actx.aws.client("secretsmanager").get_secret_value(
                    SecretId=arn, VersionId=version)
            except ClientError as err:
                info = err.response.get("Error", {})
                raise StepFailed(f"cannot read the token: GetSecretValue of {arn} version "
                                 f"{version} failed ({info.get('Code')})") from None
            value = found.get("SecretString")
            if not isinstance(value, str):
                raise StepFailed(f"the token secret {arn} version {version} holds binary data; "
                                 "sagectl takes the token as the secret's string value")
            token = value.strip()
            if not token or len(token) > TOKEN_MAX or not _TOKEN_OK.match(token):
                raise StepFailed(f"the value of {arn} version {version} is not a token "
                                 "EventBridge takes as an API key (`Bearer <token>`: at most "
                                 f"{TOKEN_MAX} characters, no spaces, colons or control "
                                 "characters); the value is not shown")
            self._tokens[key] = token
        return self._tokens[key]

    def _with_token(self, request: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(request)
        auth = out.get("AuthParameters", {}).get("ApiKeyAuthParameters", {})
        reference = st.token_reference(str(auth.get("ApiKeyValue", "")))
        if reference is not None:
            auth["ApiKeyValue"] = st.TOKEN_PREFIX + self._token(*reference)
        return out

    def _scrub(self, text: str) -> str:
        for token in self._tokens.values():
            text = text.replace(token, "(sensitive)")
        return text

    # -- ARNs of parts created by this change ----------------------------------------------------
    def _arn(self, placeholder: str, name: str) -> str:
        if placeholder not in self._arns:
            events = self.actx.aws.client("events")
            if placeholder == st.CONNECTION_ARN:
                self._arns[placeholder] = events.describe_connection(Name=name)["ConnectionArn"]
            else:
                self._arns[placeholder] = events.describe_api_destination(
                    Name=name)["ApiDestinationArn"]
        return self._arns[placeholder]

    def _with_arns(self, request: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(request)
        name = out.get("Name") or out.get("Rule")
        if out.get("ConnectionArn") == st.CONNECTION_ARN:
            out["ConnectionArn"] = self._arn(st.CONNECTION_ARN, name)
        for target in out.get("Targets", []):
            if target.get("Arn") == st.API_DESTINATION_ARN:
                target["Arn"] = self._arn(st.API_DESTINATION_ARN, name)
        return out

    # -- the hooks ---------------------------------------------------------------------------------
    def before(self, step: Step) -> None:
        """Read the token (and the one an update's undo restores) before anything changes."""
        if step.op in CONNECTIONS:
            self._with_token(step.params)
        self._undo[id(step)] = [self._ready(u) for u in step.undo]

    def _ready(self, undo: Undo) -> Undo:
        if undo.op not in CONNECTIONS:
            return undo
        ready = copy.copy(undo)
        ready.request = self._with_token(undo.params)
        return ready

    def send(self, step: Step) -> Any:
        try:
            request = self._with_arns(self._with_token(step.params))
            service, _, operation = step.op.partition(":")
            client = self.actx.aws.client(service)
            answer = getattr(client, method_name(client, operation))(**request)
        except ClientError as err:
            if step.op in DELETES and not_found(err):
                return {}  # already gone: what the step was for
            info = err.response.setdefault("Error", {})
            info["Message"] = self._scrub(str(info.get("Message", "")))
            raise
        except BotoCoreError as err:  # e.g. botocore's own parameter validation
            raise StepFailed(f"{step.op} {step.target}: {self._scrub(str(err))}") from None
        if step.op == "events:CreateConnection":
            self._arns[st.CONNECTION_ARN] = answer["ConnectionArn"]
        elif step.op == "events:CreateApiDestination":
            self._arns[st.API_DESTINATION_ARN] = answer["ApiDestinationArn"]
        return answer

    def records(self, step: Step) -> list[Undo]:
        return self._undo.pop(id(step), step.undo)
