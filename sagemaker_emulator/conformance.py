"""Conformance of the emulator's answers to botocore's service models.

Why: botocore parses whatever it is given. A member AWS always sends but the emulator leaves out,
a member AWS never sends, a timestamp as text, an enum value AWS never uses, an error code the
operation cannot return, or a moto crash answered as HTTP 500: none of these fail a boto3 call,
so sagectl could come to depend on an emulator quirk and break on real AWS. This module checks
one answer against the operation's output shape in botocore's model (the model AWS's SDKs are
generated from) and says what does not conform.

What is checked (``check``):

- Success (status < 400): the body is decoded the way botocore decodes it for the protocol the
  answer is in: JSON (``json``, ``rest-json``), CBOR (``smithy-rpc-v2-cbor``, with botocore's own
  decoder) or XML (``query``: inside the ``<Action>Result`` wrapper; ``rest-xml``), element names
  mapped through serialization names, list member names and flattened lists and maps. Then,
  recursively: every required member is present; no member the model does not define; types
  (string, integer/long, boolean, float/double, timestamp, blob, list, map, structure); enum
  values. JSON timestamps are epoch seconds unless the model says ``iso8601``/``rfc822``; XML
  ones ISO 8601. Members bound to headers, the status code or the URI are not in the body and
  are skipped, as are raw (blob/string) payloads and document-type values. A JSON ``null``
  member is taken as absent, as Smithy's JSON protocols do. An empty body is fine for an
  operation with no output shape (the walk over the body: ``shape_check.py``). The one
  exception, with its evidence, is ``shape_check.OPTIONAL_IN_FACT``: a member the model marks
  required that AWS itself leaves out.
- Errors (status >= 400): the code (as botocore parses it) is one the operation declares, with
  the shape's modeled HTTP status when it has one (otherwise a 4xx), or one of AWS's common
  errors with its documented status (``COMMON_ERRORS``).
- Any 5xx that was not injected (``Emulator.inject``) is a violation: moto crashed or lacks the
  operation. ``crashed`` reports an exception raised while answering (the HTTP 500 it becomes).

Not checked: string and list lengths (``min``/``max``) and patterns (the model's limits are on
what AWS accepts; the emulator echoes the caller's values), tagged-union exclusivity, event
streams. S3 does not pass through ``dispatch._call_action`` in moto 5.2 (its responses have
their own routing), so served S3 answers are not checked; the XML checks cover rest-xml anyway.

Wiring: ``dispatch._call_action`` calls ``observe`` / ``crashed``; they do nothing unless the
environment variable ``SAGECTL_EMULATOR_CONFORMANCE`` names a file, to which each violation is
appended as a JSON line ``{"service", "action", "violation"}`` (tests/conftest.py fails the test
that caused it). The response itself is never altered.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from sagemaker_emulator.shape_check import check_value, check_xml, missing

ENV = "SAGECTL_EMULATOR_CONFORMANCE"

COMMON_ERRORS: dict[str, frozenset[int]] = {
    # "Common Errors", the section every AWS API reference ends with ("errors common to the API
    # actions of all AWS services"), e.g.
    # https://docs.aws.amazon.com/en_us/AmazonRDS/latest/APIReference/CommonErrors.html and, in
    # its newer form (AccessDeniedException 403, NotAuthorized 401),
    # https://docs.aws.amazon.com/awsconsolehelpdocs/latest/gsg/common-errors.html.
    "AccessDeniedException": frozenset({400, 403}),
    "ExpiredTokenException": frozenset({403}),
    "IncompleteSignature": frozenset({400, 403}),
    "InternalFailure": frozenset({500}),
    "InvalidAction": frozenset({400}),
    "InvalidClientTokenId": frozenset({403}),
    "InvalidParameterCombination": frozenset({400}),
    "InvalidParameterValue": frozenset({400}),
    "InvalidQueryParameter": frozenset({400}),
    "MalformedQueryString": frozenset({404}),
    "MissingAction": frozenset({400}),
    "MissingAuthenticationToken": frozenset({403}),
    "MissingParameter": frozenset({400}),
    "NotAuthorized": frozenset({400, 401}),
    "OptInRequired": frozenset({403}),
    "RequestExpired": frozenset({400}),
    "ServiceUnavailable": frozenset({503}),
    "ThrottlingException": frozenset({400}),
    "ValidationError": frozenset({400}),
    # The JSON protocols' spelling of ValidationError (SageMaker, Application Auto Scaling...).
    "ValidationException": frozenset({400}),
}

SERVICE_NAMES = {"awslambda": "lambda"}
"""moto package names that are not botocore's name without hyphens."""
JSON_PROTOCOLS = ("json", "rest-json")
XML_PROTOCOLS = ("query", "rest-xml", "ec2")
CBOR = "smithy-rpc-v2-cbor"


# -- models -----------------------------------------------------------------------------------

@functools.cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def _botocore_names() -> dict[str, str]:
    return {n.replace("-", "").lower(): n for n in _session().get_available_services()}


@functools.cache
def operation(service: str, action: str) -> Any:
    """botocore's OperationModel of ``action`` (None: no such service or operation)."""
    from botocore.model import OperationNotFoundError

    key = service.replace("-", "").lower()
    name = SERVICE_NAMES.get(key) or _botocore_names().get(key)
    if name is None:
        return None
    try:
        return _session().get_service_model(name).operation_model(action)
    except OperationNotFoundError:
        return None


# -- the check --------------------------------------------------------------------------------

def check(service: str, action: str, status: int, headers: Mapping[str, Any] | None,
          body: str | bytes | None, injected: bool = False,
          protocol: str | None = None) -> list[str]:
    """The violations of one answer (empty: it conforms). ``protocol`` overrides the one read
    from the answer's Content-Type and the service model."""
    prefix = f"{service} {action}: "
    op = operation(service, action)
    if op is None:
        return [prefix + "not an operation of botocore's model"]
    headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    raw = body.encode() if isinstance(body, str) else (body or b"")
    proto = protocol or _protocol(op.service_model, headers)
    out: list[str] = []
    if status >= 500 and not injected:
        out.append(f"HTTP {status} that was not injected: moto crashed or lacks the operation")
    elif status >= 400:
        out += _check_error(op, proto, status, headers, raw)
    else:
        try:
            _check_success(op, proto, headers, raw, out)
        except (ValueError, ET.ParseError) as err:
            out.append(f"body is not valid for the {proto} protocol: {err}")
    return [prefix + v for v in out]


def _protocol(model: Any, headers: dict[str, str]) -> str:
    """The protocol the answer is in: the one its Content-Type names among the service's
    protocols, else the one botocore's clients use."""
    resolved = str(model.resolved_protocol)
    offered = list(model.metadata.get("protocols") or [model.protocol])
    kind = headers.get("content-type", "")
    if "cbor" in kind or headers.get("smithy-protocol") == "rpc-v2-cbor":
        wanted: tuple[str, ...] = (CBOR,)
    elif "xml" in kind:
        wanted = XML_PROTOCOLS
    elif "json" in kind:
        wanted = JSON_PROTOCOLS
    else:
        return resolved
    return resolved if resolved in wanted else next((p for p in offered if p in wanted), resolved)


def _check_error(op: Any, proto: str, status: int, headers: dict[str, str], raw: bytes
                 ) -> list[str]:
    from botocore.awsrequest import HeadersDict
    from botocore.parsers import create_parser

    try:
        parsed = create_parser(proto).parse(
            {"status_code": status, "headers": HeadersDict(headers), "body": raw},
            op.output_shape)
        code = str(parsed.get("Error", {}).get("Code") or "")
    except Exception as err:  # a body botocore cannot parse at all
        return [f"HTTP {status}: error body not parseable as {proto}: {err}"]
    for shape in op.error_shapes:
        error = shape.metadata.get("error") or {}
        if not raw.strip() and code == str(status) == str(error.get("httpStatusCode")):
            return []  # no body (a HEAD request): the status says which error
        if code in (shape.name, error.get("code")):
            modeled = error.get("httpStatusCode")
            if modeled is not None and modeled != status:
                return [f"error {code} answered with HTTP {status}; the model says {modeled}"]
            if modeled is None and not 400 <= status < 500:
                return [f"error {code} answered with HTTP {status}; a client error is 4xx"]
            return []
    allowed = COMMON_ERRORS.get(code)
    if allowed is None:
        return [f"error code {code!r} (HTTP {status}) is neither declared by the operation nor "
                "a common AWS error"]
    if status not in allowed:
        return [f"common error {code} answered with HTTP {status}; AWS documents "
                f"{'/'.join(map(str, sorted(allowed)))}"]
    return []


def _check_success(op: Any, proto: str, headers: dict[str, str], raw: bytes,
                   out: list[str]) -> None:
    shape = op.output_shape
    payload = shape.serialization.get("payload") if shape is not None else None
    if payload is not None:
        shape = shape.members[payload]
        if shape.type_name != "structure":
            return  # a raw payload (blob, string): any bytes
    if proto in XML_PROTOCOLS:
        check_xml(shape, proto, raw, out)
        return
    if not raw.strip():
        if shape is not None:
            missing(shape, {}, "", out)
        return
    if proto == CBOR:
        from botocore.parsers import RpcV2CBORParser

        try:
            doc = RpcV2CBORParser()._initial_body_parse(raw)
        except Exception as err:
            raise ValueError(f"not CBOR ({err})") from None
    else:
        try:
            doc = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"not JSON ({err})") from None
    if shape is None:
        if doc not in ({}, None):
            out.append("a body for an operation without output: "
                       + (", ".join(sorted(doc)) if isinstance(doc, dict) else repr(doc)[:80]))
        return
    check_value(shape, doc, "", out, proto == CBOR)


# -- recording --------------------------------------------------------------------------------

_LOCK = threading.Lock()


def record(service: str, action: str, violations: list[str]) -> None:
    """Append ``violations`` to the file ``SAGECTL_EMULATOR_CONFORMANCE`` names (if any)."""
    target = os.environ.get(ENV)
    if not target or not violations:
        return
    lines = "".join(json.dumps({"service": service, "action": action, "violation": v}) + "\n"
                    for v in violations)
    with _LOCK, open(target, "a", encoding="utf-8") as f:
        f.write(lines)


def observe(service: str, action: str, result: Any, injected: bool = False) -> None:
    """Check the answer ``dispatch._call_action`` is about to return, when checking is on."""
    if not os.environ.get(ENV):
        return
    if isinstance(result, tuple) and len(result) == 3:
        status, headers, body = result
    else:  # moto answered a bare body
        status, headers, body = 200, {}, result
    try:
        found = check(service, action, int(status), headers, body, injected)
    except Exception as err:  # a bug here must not change the answer: report it instead
        found = [f"{service} {action}: the conformance check failed: {type(err).__name__}: {err}"]
    record(service, action, found)


def crashed(service: str, action: str, err: BaseException) -> None:
    """Report an exception raised while answering (the client sees an HTTP 500)."""
    if os.environ.get(ENV):
        record(service, action, [f"{service} {action}: HTTP 500 that was not injected: the "
                                 f"emulator raised {type(err).__name__}: {err}"[:500]])
