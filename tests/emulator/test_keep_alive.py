"""The served emulator keeps HTTP/1.1 connections open: botocore reuses one connection for many
calls (no connect/close per call inflating every figure measured against it), every answer has
an exact Content-Length, and a request body never bleeds into the next request."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from sagemaker_emulator.server import EmulatorServer


@pytest.fixture
def served() -> Iterator[EmulatorServer]:
    server = EmulatorServer(port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _sagemaker(url: str) -> object:
    return boto3.client("sagemaker", region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_botocore_reuses_one_connection_for_many_calls(served: EmulatorServer) -> None:
    sm = _sagemaker(served.url)
    sm.create_model(ModelName="kept", PrimaryContainer={"Image": "x"})  # type: ignore[attr-defined]
    for _ in range(50):
        assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["kept"]  # type: ignore[attr-defined]
    with pytest.raises(ClientError):  # an error answer keeps the connection usable too
        sm.describe_model(ModelName="absent")  # type: ignore[attr-defined]
    assert sm.describe_model(ModelName="kept")["ModelName"] == "kept"  # type: ignore[attr-defined]
    assert served.connections == 1


def test_answers_have_exact_content_length_and_no_connection_close(
        served: EmulatorServer) -> None:
    host, port = served.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        for control in ("health", "no-such-control", "health"):
            body = json.dumps({}).encode()
            conn.request("POST", f"/_sagectl/{control}", body=body,
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            assert response.version == 11
            assert response.getheader("Content-Length") == str(len(data))
            assert response.getheader("Connection") is None
            assert response.getheader("Transfer-Encoding") is None
            assert response.status == (404 if control.startswith("no-") else 200)
    finally:
        conn.close()
    assert served.connections == 1


def test_two_requests_sent_at_once_get_two_answers(served: EmulatorServer) -> None:
    """The first request's body is read exactly: the second request line that follows it on
    the socket is answered, not swallowed (werkzeug's drain would eat it)."""
    host, port = served.url.removeprefix("http://").split(":")
    body = b"{}"
    one = (f"POST /_sagectl/health HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
           f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(one + one)
        received = b""
        while received.count(b'{"result": "ok"}') < 2:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {received!r}"
            received += chunk
    assert received.count(b"HTTP/1.1 200") == 2


def test_connection_close_from_the_client_is_honoured(served: EmulatorServer) -> None:
    host, port = served.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", "/_sagectl/health", body=b"{}", headers={"Connection": "close"})
        response = conn.getresponse()
        assert response.read() == b'{"result": "ok"}'
        assert response.getheader("Connection") == "close"
    finally:
        conn.close()
