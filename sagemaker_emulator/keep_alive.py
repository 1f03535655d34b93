"""A request handler that keeps HTTP/1.1 connections open between requests.

werkzeug's development server answers every request with ``Connection: close`` and, after the
application ran, reads whatever else the socket holds for 10 ms (its way to drain an unread
body, which would swallow a pipelined next request). A client such as botocore then opens a new
TCP connection for every call: at 1,000 calls that is ~2 s of connecting and closing, on both
sides, in every figure measured against the served emulator.

``KeepAliveHandler`` keeps moto's environ (its header spelling) and replaces the response side:

- the request body is read exactly (``Content-Length`` bytes, or the chunked body to its end)
  before the application runs, so the next request line is never eaten nor mistaken for a body;
- the application's answer is buffered and sent with its exact ``Content-Length`` (none for 1xx,
  204 and 304, which carry no body), never chunked and never with ``Connection: close``;
- the answer goes out in one write on a ``TCP_NODELAY`` socket (no 40 ms delayed-ACK stall);
- the connection stays open for the client's next request (``protocol_version`` HTTP/1.1) until
  the client closes it (its process exits) or sends ``Connection: close``; ``stop()`` of the
  server shuts the ones still open. No idle timeout: a client's pool may sit idle for minutes
  between plans, and an idle connection costs one sleeping thread.
"""

from __future__ import annotations

import io
import socket
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler

_NO_BODY = frozenset({204, 304})
_HOP_BY_HOP = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})


class KeepAliveHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Each answer is one write, but without TCP_NODELAY a write that follows an unacknowledged
        # one (the next answer on the same connection) waits for the client's delayed ACK: ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        opened = getattr(self.server, "on_connection", None)
        if opened is not None:
            opened(self.connection, True)

    def finish(self) -> None:
        closed = getattr(self.server, "on_connection", None)
        if closed is not None:
            closed(self.connection, False)
        super().finish()

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's DechunkedInput
            return bytes(environ["wsgi.input"].read())
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(self._read_body(environ))
        environ.pop("werkzeug.socket", None)  # the socket outlives this request
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda data: answer.setdefault("written", []).append(data)

        try:
            iterable = self.server.app(environ, start_response)
            try:
                body = b"".join([*answer.get("written", []), *iterable])
            finally:
                if hasattr(iterable, "close"):
                    iterable.close()
        except (TimeoutError, ConnectionError) as err:
            self.connection_dropped(err, environ)
            self.close_connection = True
            return
        except Exception as err:  # the client gets a 500, the server lives on
            self.log_error("error on request: %s: %s", type(err).__name__, err)
            answer = {"status": "500 INTERNAL SERVER ERROR",
                      "headers": [("Content-Type", "text/plain")]}
            body = f"{type(err).__name__}: {err}".encode()
        self._send(answer["status"], answer["headers"], body)

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code_text, _, message = status.partition(" ")
        code = int(code_text)
        self.send_response(code, message)
        declared = None
        for key, value in headers:
            if key.lower() == "content-length":
                declared = value
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
        has_body = code not in _NO_BODY and code >= 200
        if has_body:
            # HEAD: the length of the body a GET would have had, when the application said so
            head = self.command == "HEAD"
            self.send_header("Content-Length", declared if head and declared else str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # headers and body in one write (end_headers would send the headers on their own)
        self._headers_buffer.append(b"\r\n")
        if has_body and self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()
