"""The one place every emulated AWS call passes through.

moto routes each request to ``BaseResponse.call_action`` (in process and in the server alike).
``install()`` wraps it so that, for every service:

1. the call is counted, and any configured latency is added;
2. an injected fault (throttling, 5xx) is answered before anything changes;
3. the operations the emulator implements itself (``@handler``) are served by it, the rest by moto;
4. a mutating call that took effect counts towards the crash point, where its response is held;
5. when ``SAGECTL_EMULATOR_CONFORMANCE`` names a file, the answer is checked against botocore's
   model of the operation and what does not conform is appended there (``conformance.py``).
"""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse

from sagemaker_emulator import conformance
from sagemaker_emulator.faults import is_mutating
from sagemaker_emulator.state import STATE

Params = dict[str, Any]


class AwsError(ServiceException):
    """An AWS error answered by the emulator, serialized for the service's protocol."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(code, message)
        self.status = status


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def json_object(text: str, what: str, shape: str) -> dict[str, Any]:
    """``text`` parsed as a JSON object, or the ValidationException AWS answers
    (``Invalid <what>: ...``; ``shape`` says what the object must be)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise validation(f"Invalid {what}: not valid JSON ({err.msg} at line {err.lineno} "
                         f"column {err.colno}).") from None
    if not isinstance(doc, dict):
        raise validation(f"Invalid {what}: {shape}.")
    return doc


@dataclass(frozen=True)
class CallContext:
    service: str
    action: str
    account: str
    region: str


def service_key(name: str | None) -> str:
    """Service names are compared without hyphens: moto says ``application-autoscaling``,
    its package is ``applicationautoscaling``; both mean the same service here."""
    return (name or "").replace("-", "").lower()


Handler = Callable[[CallContext, Params], Params | None]
HANDLERS: dict[tuple[str, str], Handler] = {}


def handler(service: str, action: str) -> Callable[[Handler], Handler]:
    """Serve ``action`` of ``service`` (moto's service name, e.g. ``sagemaker``)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[(service_key(service), action)] = fn
        return fn

    return register


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(payload: Params) -> str:
    return json.dumps(payload, default=_json_default)


_ORIGINAL: Callable[[BaseResponse], Any] | None = None


def _error(response: BaseResponse, error: AwsError) -> Any:
    with warnings.catch_warnings():  # e.g. ThrottlingException is in no service's error shapes
        warnings.simplefilter("ignore", UserWarning)
        status, headers, body = response.serialized(ActionResult(error))
    return (error.status or status), headers, body


def _serve(self: BaseResponse, service: str, action: str) -> Any:
    """The answer of the emulator's handler for the call, else moto's."""
    assert _ORIGINAL is not None
    fn = HANDLERS.get((service, action))
    if fn is None:
        return _ORIGINAL(self)
    ctx = CallContext(service, action, self.current_account, self.region)
    try:
        raw = self.body or "{}"
        params = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        payload = fn(ctx, params) or {}
    except AwsError as err:
        return _error(self, err)
    except ServiceException as err:
        status, headers, body = self.serialized(ActionResult(err))
        return status, headers, body
    headers = dict(self.response_headers)
    headers["Content-Type"] = "application/x-amz-json-1.1"
    return 200, headers, dumps(payload)


class _Exclusive:
    """Calls that run alone (``alone``) or with any number of others (``shared``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._alone = False

    def run(self, alone: bool, call: Callable[[], Any]) -> Any:
        with self._cond:
            while self._alone or (alone and self._shared):
                self._cond.wait()
            if alone:
                self._alone = True
            else:
                self._shared += 1
        try:
            return call()
        finally:
            with self._cond:
                if alone:
                    self._alone = False
                else:
                    self._shared -= 1
                self._cond.notify_all()


_TRANSACTIONS = _Exclusive()
"""DynamoDB: moto's TransactWriteItems deep-copies the table (to undo a cancelled transaction)
while other threads' PutItem change it ("dictionary changed size during iteration"). AWS
completes a transaction's writes "in a single all-or-nothing operation"
(amazondynamodb/latest/developerguide/transaction-apis.html): a transaction is served alone,
every other DynamoDB call alongside any other but a transaction."""


def _call_action(self: BaseResponse) -> Any:
    service = service_key(self.service_name)
    action = self._get_action()
    STATE.count(service, action)
    STATE.faults.run_hooks(service, action)
    delay = STATE.faults.latency_for(service)
    if delay:
        time.sleep(delay)

    fault = STATE.faults.take(service, action)
    if fault is not None:
        if fault.kind == "throttle":
            result = _error(self, AwsError("ThrottlingException", "Rate exceeded"))
        elif fault.kind == "denied":
            result = _error(self, AwsError(
                "AccessDeniedException", f"User: arn:aws:sts::{self.current_account}:"
                "assumed-role/sagectl/session is not authorized to perform: "
                f"{service}:{action} because no identity-based policy allows the "
                f"{service}:{action} action"))
        else:
            status = 503 if fault.kind == "503" else 500
            code = "ServiceUnavailable" if status == 503 else "InternalFailure"
            result = _error(self, AwsError(code, "injected server error", status))
        conformance.observe(service, action, result, injected=True)
        return result

    try:
        if service == "dynamodb":
            result = _TRANSACTIONS.run(action.startswith("Transact"),
                                       lambda: _serve(self, service, action))
        else:
            result = _serve(self, service, action)
    except Exception as err:
        conformance.crashed(service, action, err)
        raise
    conformance.observe(service, action, result)

    status = result[0] if isinstance(result, tuple) else 200
    if is_mutating(action) and int(status) < 400:
        crash = STATE.faults.count_mutation(f"{service}:{action}")
        if crash is not None:
            crash.reached.set()
            crash.released.wait(crash.hold_timeout)
    return result


def install() -> None:
    """Wrap moto's dispatch and load the emulator's services (idempotent)."""
    global _ORIGINAL
    if _ORIGINAL is None:
        _ORIGINAL = BaseResponse.call_action
        BaseResponse.call_action = _call_action  # type: ignore[method-assign]
    # Importing the service modules registers their handlers and patches.
    from sagemaker_emulator import services  # noqa: F401
    from sagemaker_emulator.moto_memory import untrack_dynamodb_models

    untrack_dynamodb_models()
