"""EventBridge API destinations, served by the emulator (moto's accepted any connection and
overwrote duplicates); their connections are ``event_connections.py``, invoking them
``event_http.py``.

- CreateApiDestination: the connection must exist in the account and Region
  (ResourceNotFoundException; moto accepted any ARN), ``HttpMethod`` one of the model's enum,
  "The URL must use HTTPS" (eb-api-destinations; a ValidationException here, AWS's wording is not
  documented), ``InvocationRateLimitPerSecond`` at least 1, a second destination of the same name
  ResourceAlreadyExistsException.
- UpdateApiDestination changes what it is given, with the same checks; ``LastModifiedTime``
  follows (moto kept the creation time).
- ListApiDestinations: ``NamePrefix`` and ``ConnectionArn`` filters and ``Limit`` /
  ``NextToken`` pages (moto ignored them). Times are on the simulated clock.

Not documented, hence not modelled: a default ``InvocationRateLimitPerSecond`` (omitted when not
given); ``INACTIVE`` (every destination is ``ACTIVE``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sagemaker_emulator.dispatch import AwsError, CallContext, handler, validation
from sagemaker_emulator.event_connections import (
    arn_parts,
    checked_name,
    connection_by_arn,
    not_found,
    store,
)
from sagemaker_emulator.paging import page, with_token
from sagemaker_emulator.state import STATE

Params = dict[str, Any]
HTTP_METHODS = ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")


@dataclass
class ApiDestination:
    name: str
    arn: str
    connection_arn: str
    invocation_endpoint: str
    http_method: str
    description: str | None = None
    rate_limit: int | None = None
    state: str = "ACTIVE"
    created: float = 0.0
    modified: float = 0.0


def destination_by_arn(arn: str) -> ApiDestination | None:
    found = arn_parts(arn, "api-destination")
    if found is None:
        return None
    destination = store(found[0], found[1])[1].get(found[2])
    return destination if destination is not None and destination.arn == arn else None


def _check_destination(ctx: CallContext, params: Params) -> None:
    connection = params.get("ConnectionArn")
    if connection is not None:
        parts = arn_parts(connection, "connection")
        if parts is None or parts[:2] != (ctx.account, ctx.region) \
                or connection_by_arn(connection) is None:
            raise AwsError("ResourceNotFoundException",
                           f"Connection '{connection}' does not exist.")
    method = params.get("HttpMethod")
    if method is not None and method not in HTTP_METHODS:
        raise validation(f"Parameter HttpMethod is not valid: {method!r} is not one of "
                         f"{', '.join(HTTP_METHODS)}.")
    endpoint = params.get("InvocationEndpoint")
    if endpoint is not None and (not isinstance(endpoint, str)
                                 or not endpoint.lower().startswith("https://")
                                 or len(endpoint) > 2048):
        raise validation("Parameter InvocationEndpoint is not valid: the URL must use HTTPS.")
    rate = params.get("InvocationRateLimitPerSecond")
    if rate is not None and (not isinstance(rate, int) or rate < 1):
        raise validation("Parameter InvocationRateLimitPerSecond must be at least 1.")


def _destination_summary(d: ApiDestination) -> Params:
    return {"ApiDestinationArn": d.arn, "ApiDestinationState": d.state,
            "CreationTime": d.created, "LastModifiedTime": d.modified}


def _destination_fields(d: ApiDestination) -> Params:
    out: Params = {"ApiDestinationArn": d.arn, "Name": d.name, "ApiDestinationState": d.state,
                   "ConnectionArn": d.connection_arn, "InvocationEndpoint": d.invocation_endpoint,
                   "HttpMethod": d.http_method,
                   "InvocationRateLimitPerSecond": d.rate_limit,
                   "CreationTime": d.created, "LastModifiedTime": d.modified}
    return {k: v for k, v in out.items() if v is not None}


@handler("events", "CreateApiDestination")
def create_api_destination(ctx: CallContext, params: Params) -> Params:
    name = checked_name(params, "API destination")
    _check_destination(ctx, params)
    destinations = store(ctx.account, ctx.region)[1]
    if name in destinations:
        raise AwsError("ResourceAlreadyExistsException", f"An api-destination '{name}' "
                       "already exists.")
    now = STATE.clock.now()
    destination = ApiDestination(
        name=name, arn=f"arn:aws:events:{ctx.region}:{ctx.account}:api-destination/{name}/"
                       f"{uuid.uuid4()}",
        connection_arn=params["ConnectionArn"], invocation_endpoint=params["InvocationEndpoint"],
        http_method=params["HttpMethod"], description=params.get("Description"),
        rate_limit=params.get("InvocationRateLimitPerSecond"), created=now, modified=now)
    destinations[name] = destination
    return _destination_summary(destination)


def _destination(ctx: CallContext, params: Params) -> ApiDestination:
    name = str(params.get("Name"))
    found = store(ctx.account, ctx.region)[1].get(name)
    if found is None:
        raise not_found("api-destination", name)
    return found


@handler("events", "DescribeApiDestination")
def describe_api_destination(ctx: CallContext, params: Params) -> Params:
    d = _destination(ctx, params)
    return {**_destination_fields(d), **({"Description": d.description} if d.description
                                         is not None else {})}


@handler("events", "UpdateApiDestination")
def update_api_destination(ctx: CallContext, params: Params) -> Params:
    d = _destination(ctx, params)
    _check_destination(ctx, params)
    for key, attr in (("ConnectionArn", "connection_arn"), ("Description", "description"),
                      ("InvocationEndpoint", "invocation_endpoint"),
                      ("HttpMethod", "http_method"),
                      ("InvocationRateLimitPerSecond", "rate_limit")):
        if params.get(key) is not None:
            setattr(d, attr, params[key])
    d.modified = STATE.clock.now()
    return _destination_summary(d)


@handler("events", "DeleteApiDestination")
def delete_api_destination(ctx: CallContext, params: Params) -> Params:
    d = _destination(ctx, params)
    del store(ctx.account, ctx.region)[1][d.name]
    return {}


@handler("events", "ListApiDestinations")
def list_api_destinations(ctx: CallContext, params: Params) -> Params:
    prefix, connection = params.get("NamePrefix") or "", params.get("ConnectionArn")
    found = [d for d in sorted(store(ctx.account, ctx.region)[1].values(), key=lambda d: d.name)
             if d.name.startswith(prefix) and connection in (None, d.connection_arn)]
    items, token = page(found, params, default=100, size_key="Limit")
    return with_token({"ApiDestinations": [_destination_fields(d) for d in items]}, token)
