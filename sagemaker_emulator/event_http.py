"""Invoking an API destination: the HTTP request EventBridge sends for a matched event, really
sent (with urllib) and recorded in ``STATE.events`` (``Emulator.api_destination_invocations``).

As eb-api-destinations documents it:

- the API destination's ``HttpMethod`` to its ``InvocationEndpoint``; the target's
  ``HttpParameters`` add ``PathParameterValues`` (in order, for the endpoint's ``*``),
  ``HeaderParameters`` and ``QueryStringParameters``, the connection's
  ``InvocationHttpParameters`` add headers and query string parameters too, and "In case of any
  conflicting keys, values from the Connection take precedence" (PutTargets, HttpParameters);
- "For Basic and API Key authorization, EventBridge populates the required authorization
  headers": ``<ApiKeyName>: <ApiKeyValue>``, or ``Authorization: Basic <base64 user:password>``;
- "EventBridge includes the following headers in each request": ``User-Agent:
  Amazon/EventBridge/ApiDestinations``, ``Content-Type: application/json; charset=utf-8``,
  ``Range: bytes=0-1048575``, ``Accept-Encoding: gzip,deflate``, ``Connection: close``, plus
  ``Content-Length`` and ``Host``;
- "a maximum client execution timeout of 5 seconds": the request times out after 5 s;
- "Events associated with error codes 429 and 5xx are retried. Events associated with error codes
  1xx, 2xx, 3xx, and 4xx (excluding 429) aren't retried", and timed-out requests are retried:
  each record says ``retryable`` accordingly, but retries (up to 24 hours and 185 times by
  default), dead-letter queues and ``InvocationRateLimitPerSecond`` are not emulated: one
  attempt, recorded.
- A connection that is not ``AUTHORIZED`` sends nothing: "You must update any API destinations
  that use the de-authorized connection to use a different connection to successfully send
  requests" (an OAuth connection stays ``AUTHORIZING`` here: its token exchange is not emulated).

Not documented, so chosen: a request that is neither 2xx nor sent is ``failed``; 3xx are not
followed; the body is sent with every method but GET and HEAD; the connection's
``BodyParameters`` are not added (how they merge into a JSON body is not documented); target
headers override the fixed ones, the connection's override the target's, the authorization header
comes last. The emulator never reaches a host that is neither loopback nor routed
(``route_host``): such an invocation is recorded as failed, not sent.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from sagemaker_emulator.event_api_destinations import destination_by_arn
from sagemaker_emulator.event_connections import Connection, connection_by_arn
from sagemaker_emulator.event_log import LOOPBACK
from sagemaker_emulator.state import STATE

TIMEOUT = 5.0
MASK = "******"
FIXED_HEADERS = {"User-Agent": "Amazon/EventBridge/ApiDestinations",
                 "Content-Type": "application/json; charset=utf-8",
                 "Range": "bytes=0-1048575", "Accept-Encoding": "gzip,deflate",
                 "Connection": "close"}
Record = dict[str, Any]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _auth_header(connection: Connection) -> tuple[str, str] | None:
    auth = connection.auth
    if connection.authorization_type == "API_KEY":
        key = auth.get("ApiKeyAuthParameters") or {}
        return str(key.get("ApiKeyName")), str(key.get("ApiKeyValue"))
    if connection.authorization_type == "BASIC":
        basic = auth.get("BasicAuthParameters") or {}
        token = base64.b64encode(f"{basic.get('Username')}:{basic.get('Password')}".encode())
        return "Authorization", f"Basic {token.decode()}"
    return None


def _connection_parameters(connection: Connection, kind: str) -> list[dict[str, Any]]:
    return list(((connection.auth.get("InvocationHttpParameters") or {}).get(kind)) or [])


def _request(destination: Any, connection: Connection, target: dict[str, Any]
             ) -> tuple[str, str, dict[str, str], dict[str, str]]:
    """(URL, URL with secrets masked, headers, headers with secrets masked)."""
    http = target.get("HttpParameters") or {}
    endpoint = destination.invocation_endpoint
    for value in http.get("PathParameterValues") or []:
        endpoint = endpoint.replace("*", urllib.parse.quote(str(value), safe=""), 1)
    query = {str(k): (str(v), False) for k, v in (http.get("QueryStringParameters") or {}).items()}
    for p in _connection_parameters(connection, "QueryStringParameters"):
        query[str(p.get("Key"))] = (str(p.get("Value", "")), bool(p.get("IsValueSecret")))
    headers: dict[str, tuple[str, bool]] = {}

    def put(key: str, value: str, secret: bool) -> None:  # header names ignore case
        for old in [k for k in headers if k.lower() == key.lower()]:
            del headers[old]
        headers[key] = (value, secret)

    for key, value in FIXED_HEADERS.items():
        put(key, value, False)
    for key, value in (http.get("HeaderParameters") or {}).items():
        put(str(key), str(value), False)
    for p in _connection_parameters(connection, "HeaderParameters"):
        put(str(p.get("Key")), str(p.get("Value", "")), bool(p.get("IsValueSecret")))
    auth = _auth_header(connection)
    if auth is not None:
        put(auth[0], auth[1], True)

    def url(masked: bool) -> str:
        if not query:
            return endpoint
        text = urllib.parse.urlencode({k: MASK if secret and masked else v
                                       for k, (v, secret) in query.items()})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{text}"

    return (url(False), url(True), {k: v for k, (v, _) in headers.items()},
            {k: MASK if secret else v for k, (v, secret) in headers.items()})


def _where(url: str) -> tuple[str | None, str | None]:
    """(the URL to send to, why nothing is sent)."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    route = STATE.events.route_for(host)
    if route is not None:
        tail = urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))
        return route + tail, None
    if host in LOOPBACK:
        return url, None
    return None, (f"not sent: {host} is neither loopback nor routed (the emulator reaches no "
                  "other host; Emulator.route_host routes one to a local server)")


def _send(method: str, url: str, headers: dict[str, str], body: bytes | None
          ) -> tuple[int | None, str, str | None, bool | None]:
    """(HTTP status, response text, error, retryable per AWS's documentation)."""
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            return response.status, response.read(2000).decode("utf-8", "replace"), None, False
    except urllib.error.HTTPError as err:
        text = err.read(2000).decode("utf-8", "replace") if err.fp is not None else ""
        retry = err.code == 429 or err.code >= 500
        return err.code, text, f"HTTP {err.code}", retry
    except TimeoutError:
        return None, "", f"timed out after {TIMEOUT:g} s", True
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        return None, "", f"{type(err).__name__}: {reason}", None


def invoke(account: str, region: str, rule: Any, target: dict[str, Any], body: str,
           event_id: str) -> Record:
    """Invoke the API destination ``target`` names with ``body``; the record of it (also
    added to the log)."""
    record: Record = {"time": STATE.clock.now(), "account": account, "region": region,
                      "event_id": event_id, "rule": rule.arn, "rule_name": rule.name,
                      "target_id": target.get("Id"), "api_destination": target.get("Arn"),
                      "connection": None, "method": None, "url": None, "sent_to": None,
                      "headers": {}, "body": body, "sent": False, "outcome": "failed",
                      "status": None, "response": "", "error": None, "retryable": None}
    destination = destination_by_arn(str(target.get("Arn")))
    connection = connection_by_arn(destination.connection_arn) if destination else None
    if destination is None:
        record["error"] = f"API destination {target.get('Arn')} does not exist"
    elif connection is None:
        record["error"] = f"connection {destination.connection_arn} does not exist"
    record["connection"] = destination.connection_arn if destination else None
    if destination is None or connection is None:
        STATE.events.add_invocation(record)
        return record
    url, shown_url, headers, shown = _request(destination, connection, target)
    method = destination.http_method
    data = body.encode() if method not in ("GET", "HEAD") else None
    host = urllib.parse.urlsplit(url).netloc
    headers["Host"] = shown["Host"] = host
    if data is not None:
        headers["Content-Length"] = shown["Content-Length"] = str(len(data))
    record.update(method=method, url=shown_url, headers=shown)
    if connection.state != "AUTHORIZED":
        record["error"] = (f"connection {connection.name} is {connection.state}"
                           + (": the OAuth token exchange is not emulated"
                              if connection.state == "AUTHORIZING" else ""))
    else:
        send_to, refused = _where(url)
        if refused is not None:
            record["error"] = refused
        else:
            assert send_to is not None
            status, text, error, retry = _send(method, send_to, headers, data)
            ok = status is not None and 200 <= status < 300
            shown_to = _where(shown_url)[0]
            record.update(sent=True, sent_to=shown_to if send_to != url else None, status=status,
                          response=text, error=error, retryable=None if ok else retry,
                          outcome="succeeded" if ok else "failed")
    STATE.events.add_invocation(record)
    return record
