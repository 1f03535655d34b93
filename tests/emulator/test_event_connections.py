"""EventBridge connections and API destinations as AWS answers them (sagemaker_emulator/
event_connections.py), and Secrets Manager's answers: every answer is also checked against
botocore's model (tests/conftest.py fails a test on any violation)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator import Emulator
from tests.emulator.event_helpers import DISPATCHES, GITHUB_HEADERS, TOKEN
from tests.emulator.helpers import error_code

API_KEY = {"ApiKeyAuthParameters": {"ApiKeyName": "Authorization",
                                    "ApiKeyValue": f"Bearer {TOKEN}"}}


@pytest.fixture
def events(emu: Emulator) -> Any:
    return emu.client("events")


def connection(events: Any, name: str = "github", **auth: Any) -> str:
    return str(events.create_connection(
        Name=name, AuthorizationType="API_KEY",
        AuthParameters={**API_KEY, **auth})["ConnectionArn"])


def test_describe_connection_never_answers_the_key(events: Any) -> None:
    created = events.create_connection(
        Name="github", Description="GitHub dispatches", AuthorizationType="API_KEY",
        AuthParameters={**API_KEY, "InvocationHttpParameters": {"HeaderParameters": [
            *GITHUB_HEADERS, {"Key": "X-Extra", "Value": "hidden", "IsValueSecret": True}]}})
    assert created["ConnectionState"] == "AUTHORIZED"
    assert created["ConnectionArn"].startswith(
        "arn:aws:events:us-east-1:123456789012:connection/github/")
    described = events.describe_connection(Name="github")
    raw = json.dumps(described, default=str)
    assert TOKEN not in raw and "hidden" not in raw
    assert described["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "Authorization"}
    assert described["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"] == [
        *GITHUB_HEADERS, {"Key": "X-Extra", "IsValueSecret": True}]
    assert (described["Name"], described["Description"], described["ConnectionState"],
            described["AuthorizationType"]) == ("github", "GitHub dispatches", "AUTHORIZED",
                                                "API_KEY")
    assert described["LastAuthorizedTime"] == described["CreationTime"]
    listed = events.list_connections()["Connections"]
    assert [c["Name"] for c in listed] == ["github"]
    assert TOKEN not in json.dumps(listed, default=str)


def test_the_key_lives_in_the_connections_secret(emu: Emulator, events: Any) -> None:
    connection(events)
    secret_arn = events.describe_connection(Name="github")["SecretArn"]
    secrets = emu.client("secretsmanager")
    described = secrets.describe_secret(SecretId=secret_arn)
    assert described["OwningService"] == "events"
    assert "VersionIdsToStages" in described
    value = secrets.get_secret_value(SecretId=secret_arn)["SecretString"]
    assert TOKEN in value
    (listed,) = secrets.list_secrets()["SecretList"]
    assert listed["ARN"] == secret_arn and "SecretVersionsToStages" in listed
    events.delete_connection(Name="github")
    assert secrets.list_secrets()["SecretList"] == []


def test_a_second_connection_of_the_same_name_is_refused(events: Any) -> None:
    first = connection(events)
    with pytest.raises(ClientError) as exc:
        connection(events)
    assert error_code(exc.value) == "ResourceAlreadyExistsException"
    assert events.describe_connection(Name="github")["ConnectionArn"] == first


@pytest.mark.parametrize(("kind", "auth"), [
    ("API_KEY", {"BasicAuthParameters": {"Username": "u", "Password": "p"}}),
    ("API_KEY", {**API_KEY, "BasicAuthParameters": {"Username": "u", "Password": "p"}}),
    ("BASIC", API_KEY),
    ("TOKEN", API_KEY),
])
def test_only_the_parameters_of_the_authorization_type(events: Any, kind: str,
                                                       auth: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        events.create_connection(Name="c", AuthorizationType=kind, AuthParameters=auth)
    assert error_code(exc.value) == "ValidationException"
    assert events.list_connections()["Connections"] == []


def test_update_keeps_what_it_is_not_given_and_reauthorizes(emu: Emulator, events: Any) -> None:
    emu.freeze()
    connection(events)
    emu.advance(60)
    updated = events.update_connection(Name="github", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyValue": "Bearer rotated"}})
    assert updated["LastModifiedTime"] == updated["LastAuthorizedTime"]
    assert (updated["LastModifiedTime"] - updated["CreationTime"]).total_seconds() == \
        pytest.approx(60)
    described = events.describe_connection(Name="github")
    assert described["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "Authorization"}
    secret = emu.client("secretsmanager").get_secret_value(SecretId=described["SecretArn"])
    assert "Bearer rotated" in secret["SecretString"]
    with pytest.raises(ClientError) as exc:  # a new type needs its whole parameters
        events.update_connection(Name="github", AuthorizationType="BASIC", AuthParameters={
            "BasicAuthParameters": {"Username": "u"}})
    assert error_code(exc.value) == "ValidationException"
    events.update_connection(Name="github", Description="only the description")
    assert events.describe_connection(Name="github")["Description"] == "only the description"


def test_deauthorize_removes_the_parameters_and_the_secret(emu: Emulator, events: Any) -> None:
    connection(events)
    secret_arn = events.describe_connection(Name="github")["SecretArn"]
    answer = events.deauthorize_connection(Name="github")
    assert answer["ConnectionState"] == "DEAUTHORIZING"
    described = events.describe_connection(Name="github")
    assert described["ConnectionState"] == "DEAUTHORIZED"
    assert "AuthParameters" not in described and "SecretArn" not in described
    with pytest.raises(ClientError):
        emu.client("secretsmanager").describe_secret(SecretId=secret_arn)
    assert [c["Name"] for c in events.list_connections(ConnectionState="DEAUTHORIZED")[
        "Connections"]] == ["github"]
    assert events.list_connections(ConnectionState="AUTHORIZED")["Connections"] == []
    events.update_connection(Name="github", AuthParameters=API_KEY)  # authorized again
    assert events.describe_connection(Name="github")["ConnectionState"] == "AUTHORIZED"


def test_delete_answers_the_state_before_deletion(events: Any) -> None:
    arn = connection(events)
    deleted = events.delete_connection(Name="github")
    assert (deleted["ConnectionArn"], deleted["ConnectionState"]) == (arn, "AUTHORIZED")
    for call in (events.describe_connection, events.delete_connection,
                 events.deauthorize_connection):
        with pytest.raises(ClientError) as exc:
            call(Name="github")
        assert error_code(exc.value) == "ResourceNotFoundException"


def test_api_destination_round_trip(emu: Emulator, events: Any) -> None:
    arn = connection(events)
    emu.freeze()
    created = events.create_api_destination(
        Name="github-dispatches", Description="repository_dispatch", ConnectionArn=arn,
        InvocationEndpoint=DISPATCHES, HttpMethod="POST", InvocationRateLimitPerSecond=5)
    assert created["ApiDestinationState"] == "ACTIVE"
    assert created["ApiDestinationArn"].startswith(
        "arn:aws:events:us-east-1:123456789012:api-destination/github-dispatches/")
    described = events.describe_api_destination(Name="github-dispatches")
    assert {k: described[k] for k in ("Name", "Description", "ConnectionArn",
                                      "InvocationEndpoint", "HttpMethod",
                                      "InvocationRateLimitPerSecond")} == {
        "Name": "github-dispatches", "Description": "repository_dispatch",
        "ConnectionArn": arn, "InvocationEndpoint": DISPATCHES, "HttpMethod": "POST",
        "InvocationRateLimitPerSecond": 5}
    emu.advance(30)
    updated = events.update_api_destination(Name="github-dispatches", HttpMethod="PUT")
    assert (updated["LastModifiedTime"] - updated["CreationTime"]).total_seconds() == \
        pytest.approx(30)
    described = events.describe_api_destination(Name="github-dispatches")
    assert (described["HttpMethod"], described["InvocationEndpoint"]) == ("PUT", DISPATCHES)
    (listed,) = events.list_api_destinations(ConnectionArn=arn)["ApiDestinations"]
    assert listed["Name"] == "github-dispatches"
    events.delete_api_destination(Name="github-dispatches")
    with pytest.raises(ClientError) as exc:
        events.describe_api_destination(Name="github-dispatches")
    assert error_code(exc.value) == "ResourceNotFoundException"


@pytest.mark.parametrize(("change", "code"), [
    ({"InvocationEndpoint": "http://api.github.com/repos/acme/models/dispatches"},
     "ValidationException"),
    ({"HttpMethod": "CONNECT"}, "ValidationException"),
    ({"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/nope/"
                       "0d1e2f3a-aaaa-bbbb-cccc-000000000000"}, "ResourceNotFoundException"),
])
def test_api_destination_refusals(events: Any, change: dict[str, str], code: str) -> None:
    params = {"Name": "d", "ConnectionArn": connection(events), "InvocationEndpoint": DISPATCHES,
              "HttpMethod": "POST", **change}
    with pytest.raises(ClientError) as exc:
        events.create_api_destination(**params)
    assert error_code(exc.value) == code
    assert events.list_api_destinations()["ApiDestinations"] == []


def test_a_second_api_destination_of_the_same_name_is_refused(events: Any) -> None:
    arn = connection(events)
    events.create_api_destination(Name="d", ConnectionArn=arn, InvocationEndpoint=DISPATCHES,
                                  HttpMethod="POST")
    with pytest.raises(ClientError) as exc:
        events.create_api_destination(Name="d", ConnectionArn=arn,
                                      InvocationEndpoint=DISPATCHES, HttpMethod="POST")
    assert error_code(exc.value) == "ResourceAlreadyExistsException"


def test_lists_filter_and_paginate(events: Any) -> None:
    arns = [connection(events, name) for name in ("a-1", "a-2", "a-3", "b-1")]
    page = events.list_connections(NamePrefix="a-", Limit=2)
    assert [c["Name"] for c in page["Connections"]] == ["a-1", "a-2"]
    rest = events.list_connections(NamePrefix="a-", Limit=2, NextToken=page["NextToken"])
    assert [c["Name"] for c in rest["Connections"]] == ["a-3"] and "NextToken" not in rest
    for name, arn in (("x", arns[0]), ("y", arns[3]), ("z", arns[3])):
        events.create_api_destination(Name=name, ConnectionArn=arn,
                                      InvocationEndpoint=DISPATCHES, HttpMethod="POST")
    assert [d["Name"] for d in events.list_api_destinations(ConnectionArn=arns[3])[
        "ApiDestinations"]] == ["y", "z"]
    assert [d["Name"] for d in events.list_api_destinations(NamePrefix="x")[
        "ApiDestinations"]] == ["x"]


def test_a_token_secret_reads_as_secrets_manager_answers(emu: Emulator) -> None:
    secrets = emu.client("secretsmanager")
    arn = secrets.create_secret(Name="sagectl/github-token", SecretString=TOKEN)["ARN"]
    described = secrets.describe_secret(SecretId="sagectl/github-token")
    assert (described["ARN"], described["Name"]) == (arn, "sagectl/github-token")
    assert secrets.get_secret_value(SecretId=arn)["SecretString"] == TOKEN
    (listed,) = secrets.list_secrets()["SecretList"]
    assert listed["Name"] == "sagectl/github-token"
    for call in (secrets.describe_secret, secrets.get_secret_value):
        with pytest.raises(ClientError) as exc:
            call(SecretId="sagectl/missing")
        assert error_code(exc.value) == "ResourceNotFoundException"
