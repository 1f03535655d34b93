"""EventBridge connections, served by the emulator (moto's answered outside botocore's model and
broke AWS's rules, see below); API destinations are ``event_api_destinations.py``, invoking them
``event_http.py``.

What AWS documents, and the emulator does:

- CreateConnection: ``AuthorizationType`` BASIC, API_KEY or OAUTH_CLIENT_CREDENTIALS, and "You
  must include only authorization parameters for the AuthorizationType you specify" (a mismatch
  is a ValidationException). EventBridge keeps the parameters in a Secrets Manager secret it
  creates (``SecretArn``). A Basic or API key connection to a public API is ``AUTHORIZED``
  (eb-target-connection-states); an OAuth one stays ``AUTHORIZING``: the token exchange is not
  emulated. A second connection of the same name is ResourceAlreadyExistsException (moto
  replaced the first and leaked its secret).
- DescribeConnection answers the parameters without their secrets: ``ApiKeyAuthParameters``
  holds only ``ApiKeyName`` (moto answered ``ApiKeyValue``, the key itself), Basic only the
  ``Username``, OAuth's ``ClientParameters`` only the ``ClientID``; an invocation parameter
  marked ``IsValueSecret`` is answered without its ``Value``. Everything is projected onto the
  response shapes of botocore's model.
- UpdateConnection changes what it is given: ``ApiKeyValue`` alone keeps the ``ApiKeyName``
  (the update shapes make every member optional; moto dropped the name), a new
  ``AuthorizationType`` needs its full parameters, the secret follows; an update with
  ``AuthParameters`` authorizes the connection again (``LastAuthorizedTime``).
- DeauthorizeConnection "Removes all authorization parameters from the connection. This lets you
  remove the secret from the connection": the answer says ``DEAUTHORIZING``, the connection is
  then ``DEAUTHORIZED`` without parameters or secret (how long the transition takes is not
  documented: at once here).
- DeleteConnection answers "The state of the connection before it was deleted" and deletes the
  secret.
- ListConnections: ``NamePrefix`` and ``ConnectionState`` filters and ``Limit`` / ``NextToken``
  pages (moto ignored them). Times are on the simulated clock.

Not documented, hence not modelled: refusing to delete a connection an API destination uses;
connectivity parameters of private APIs (stored and echoed only).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from moto.events.models import events_backends

from sagemaker_emulator.dispatch import AwsError, CallContext, handler, validation
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
NAME = re.compile(r"^[\.\-_A-Za-z0-9]{1,64}$")
AUTH_MEMBERS = {"BASIC": "BasicAuthParameters", "API_KEY": "ApiKeyAuthParameters",
                "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters"}
REQUIRED = {"BasicAuthParameters": ("Username", "Password"),
            "ApiKeyAuthParameters": ("ApiKeyName", "ApiKeyValue"),
            "OAuthParameters": ("ClientParameters", "AuthorizationEndpoint", "HttpMethod")}


@dataclass
class Connection:
    name: str
    arn: str
    authorization_type: str
    auth: Params
    """The AuthParameters as given, secrets included (the invocation needs them)."""
    description: str | None = None
    connectivity: Params | None = None
    kms_key: str | None = None
    state: str = "AUTHORIZED"
    state_reason: str | None = None
    secret_arn: str | None = None
    created: float = 0.0
    modified: float = 0.0
    authorized: float | None = None


def store(account: str, region: str) -> tuple[dict[str, Connection], dict[str, Any]]:
    """The connections and API destinations of an account and region (kept on moto's backend,
    so moto's reset clears them)."""
    backend = events_backends[account][region]
    if not hasattr(backend, "_sagectl_connections"):
        backend._sagectl_connections = {}
        backend._sagectl_destinations = {}
    return backend._sagectl_connections, backend._sagectl_destinations


def connection_by_arn(arn: str) -> Connection | None:
    found = arn_parts(arn, "connection")
    if found is None:
        return None
    connection = store(found[0], found[1])[0].get(found[2])
    return connection if connection is not None and connection.arn == arn else None


def arn_parts(arn: str, kind: str) -> tuple[str, str, str] | None:
    """(account, Region, name) of an EventBridge ARN of ``kind`` (``connection``,
    ``api-destination``: ``<kind>/<name>/<uuid>``), or None."""
    match = re.match(rf"^arn:aws[a-z\-]*:events:([a-z0-9\-]+):(\d{{12}}):{kind}/([^/]+)/[^/]+$",
                     str(arn or ""))
    return (match[2], match[1], match[3]) if match else None


def checked_name(params: Params, what: str) -> str:
    name = params.get("Name")
    if not isinstance(name, str) or not NAME.match(name):
        raise validation(f"Parameter Name is not valid: the {what} name must be 1-64 letters, "
                         "digits, '.', '-' or '_'.")
    return name


def not_found(kind: str, name: str) -> AwsError:
    """AWS's wording is not documented; moto's is kept."""
    what = "Connection" if kind == "connection" else "An api-destination"
    return AwsError("ResourceNotFoundException", f"{what} '{name}' does not exist.")


# -- the response shapes ------------------------------------------------------------------------

@functools.cache
def _shape(name: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("events").shape_for(name)


def project(value: Any, shape: Any) -> Any:
    """``value`` with only what ``shape`` (a botocore shape) has room for; a connection
    parameter marked ``IsValueSecret`` loses its ``Value``."""
    if shape.type_name == "structure" and isinstance(value, dict):
        out = {k: project(v, shape.members[k]) for k, v in value.items()
               if k in shape.members and v is not None}
        if out.get("IsValueSecret") is True:
            out.pop("Value", None)
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [project(item, shape.member) for item in value]
    return value


# -- secrets ------------------------------------------------------------------------------------

def _secrets(account: str, region: str) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[account][region]


def _write_secret(account: str, region: str, connection: Connection) -> None:
    """EventBridge keeps the parameters in a secret of its own; what it writes there is not
    documented (the emulator writes the AuthParameters as JSON)."""
    text = json.dumps(connection.auth)
    secrets = _secrets(account, region)
    if connection.secret_arn is None:
        secret_id = f"events!connection/{connection.name}/{connection.arn.rsplit('/', 1)[1]}"
        secret = secrets.create_managed_secret(
            service_name="events", secret_id=secret_id, secret_string=text,
            description=f"Auth parameters for EventBridge connection {connection.name}")
        connection.secret_arn = secret.arn
    else:
        secrets.put_secret_value(secret_id=connection.secret_arn, secret_string=text,
                                 secret_binary=None, client_request_token=str(uuid.uuid4()),
                                 version_stages=["AWSCURRENT"])


def _drop_secret(account: str, region: str, connection: Connection) -> None:
    if connection.secret_arn is not None:
        _secrets(account, region).delete_secret(
            secret_id=connection.secret_arn, recovery_window_in_days=None,
            force_delete_without_recovery=True)
        connection.secret_arn = None


# -- connections ------------------------------------------------------------------------------

def _check_auth(kind: Any, auth: Any, complete: bool) -> None:
    if kind not in AUTH_MEMBERS:
        raise validation(f"Parameter AuthorizationType is not valid: {kind!r} is not one of "
                         f"{', '.join(AUTH_MEMBERS)}.")
    if not isinstance(auth, dict):
        raise validation("Parameter AuthParameters is not valid.")
    wanted = AUTH_MEMBERS[kind]
    others = [m for m in AUTH_MEMBERS.values() if m != wanted and auth.get(m) is not None]
    if others:
        raise validation(f"AuthParameters may hold only {wanted} for AuthorizationType {kind}, "
                         f"not {', '.join(others)}.")
    given = auth.get(wanted)
    if complete:
        missing = [m for m in REQUIRED[wanted] if not (given or {}).get(m)]
        if missing:
            raise validation(f"AuthParameters.{wanted} needs {', '.join(missing)} for "
                             f"AuthorizationType {kind}.")


def _state_for(kind: str) -> str:
    return "AUTHORIZING" if kind == "OAUTH_CLIENT_CREDENTIALS" else "AUTHORIZED"


def _authorize(connection: Connection, now: float) -> None:
    connection.state = _state_for(connection.authorization_type)
    connection.state_reason = None
    connection.authorized = now if connection.state == "AUTHORIZED" else None


def _summary(connection: Connection, *extra: str) -> Params:
    out: Params = {"ConnectionArn": connection.arn, "ConnectionState": connection.state,
                   "CreationTime": connection.created, "LastModifiedTime": connection.modified}
    if "LastAuthorizedTime" in extra and connection.authorized is not None:
        out["LastAuthorizedTime"] = connection.authorized
    return out


@handler("events", "CreateConnection")
def create_connection(ctx: CallContext, params: Params) -> Params:
    name = checked_name(params, "connection")
    kind = params.get("AuthorizationType")
    auth = params.get("AuthParameters")
    _check_auth(kind, auth, complete=True)
    connections, _ = store(ctx.account, ctx.region)
    if name in connections:
        raise AwsError("ResourceAlreadyExistsException", f"Connection {name} already exists.")
    now = STATE.clock.now()
    connection = Connection(
        name=name, arn=f"arn:aws:events:{ctx.region}:{ctx.account}:connection/{name}/"
                       f"{uuid.uuid4()}",
        authorization_type=kind, auth=dict(auth), description=params.get("Description"),
        connectivity=params.get("InvocationConnectivityParameters"),
        kms_key=params.get("KmsKeyIdentifier"), created=now, modified=now)
    _authorize(connection, now)
    _write_secret(ctx.account, ctx.region, connection)
    connections[name] = connection
    return _summary(connection)


def _connection(ctx: CallContext, params: Params) -> Connection:
    name = str(params.get("Name"))
    found = store(ctx.account, ctx.region)[0].get(name)
    if found is None:
        raise not_found("connection", name)
    return found


@handler("events", "DescribeConnection")
def describe_connection(ctx: CallContext, params: Params) -> Params:
    c = _connection(ctx, params)
    out: Params = {"ConnectionArn": c.arn, "Name": c.name, "Description": c.description,
                   "ConnectionState": c.state, "StateReason": c.state_reason,
                   "AuthorizationType": c.authorization_type, "SecretArn": c.secret_arn,
                   "KmsKeyIdentifier": c.kms_key, "CreationTime": c.created,
                   "LastModifiedTime": c.modified, "LastAuthorizedTime": c.authorized}
    if c.auth:
        out["AuthParameters"] = project(c.auth, _shape("ConnectionAuthResponseParameters"))
    if c.connectivity:
        out["InvocationConnectivityParameters"] = project(
            c.connectivity, _shape("DescribeConnectionConnectivityParameters"))
    return {k: v for k, v in out.items() if v is not None}


def _merged(old: Params, new: Params) -> Params:
    """Nested structures merged member by member; lists (parameter lists) replaced."""
    out = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


@handler("events", "UpdateConnection")
def update_connection(ctx: CallContext, params: Params) -> Params:
    c = _connection(ctx, params)
    kind = params.get("AuthorizationType") or c.authorization_type
    auth = params.get("AuthParameters")
    changes_kind = kind != c.authorization_type
    if auth is not None or changes_kind:
        _check_auth(kind, auth or {}, complete=changes_kind)
    now = STATE.clock.now()
    if auth is not None:
        c.auth = dict(auth) if changes_kind else _merged(c.auth, auth)
        c.authorization_type = kind
        _authorize(c, now)
        _write_secret(ctx.account, ctx.region, c)
    for key, attr in (("Description", "description"),
                      ("InvocationConnectivityParameters", "connectivity"),
                      ("KmsKeyIdentifier", "kms_key")):
        if params.get(key) is not None:
            setattr(c, attr, params[key])
    c.modified = now
    return _summary(c, "LastAuthorizedTime")


@handler("events", "DeauthorizeConnection")
def deauthorize_connection(ctx: CallContext, params: Params) -> Params:
    c = _connection(ctx, params)
    c.modified = STATE.clock.now()
    answer = {**_summary(c, "LastAuthorizedTime"), "ConnectionState": "DEAUTHORIZING"}
    c.auth = {}
    c.state, c.state_reason = "DEAUTHORIZED", "Deauthorized by DeauthorizeConnection."
    _drop_secret(ctx.account, ctx.region, c)
    return answer


@handler("events", "DeleteConnection")
def delete_connection(ctx: CallContext, params: Params) -> Params:
    c = _connection(ctx, params)
    answer = _summary(c, "LastAuthorizedTime")
    _drop_secret(ctx.account, ctx.region, c)
    del store(ctx.account, ctx.region)[0][c.name]
    return answer


@handler("events", "ListConnections")
def list_connections(ctx: CallContext, params: Params) -> Params:
    prefix, state = params.get("NamePrefix") or "", params.get("ConnectionState")
    found = [c for c in sorted(store(ctx.account, ctx.region)[0].values(), key=lambda c: c.name)
             if c.name.startswith(prefix) and state in (None, c.state)]
    items, token = page(found, params, default=100, size_key="Limit")
    return with_token({"Connections": [
        {"ConnectionArn": c.arn, "Name": c.name, "ConnectionState": c.state,
         **({"StateReason": c.state_reason} if c.state_reason else {}),
         "AuthorizationType": c.authorization_type, "CreationTime": c.created,
         "LastModifiedTime": c.modified,
         **({"LastAuthorizedTime": c.authorized} if c.authorized is not None else {})}
        for c in items]}, token)
