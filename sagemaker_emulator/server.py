"""The emulator as a local HTTP server, and its controls over HTTP.

``EmulatorServer`` serves every emulated AWS service on one port (moto's app, with the emulator's
handlers installed in this process) plus a small control API under ``/_sagectl/``:
``POST /_sagectl/<control>`` with a JSON object of keyword arguments calls the same-named method of
``Emulator`` (see ``CONTROLS``) and answers ``{"result": ...}``. ``RemoteEmulator`` wraps that API
so tests and the demo drive a served emulator exactly like an in-process one.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from sagemaker_emulator import FAKE_CREDENTIALS, Emulator, install
from sagemaker_emulator.remote_controls import CONTROL_PREFIX, CONTROLS, post_control
from sagemaker_emulator.state import STATE

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _control(emulator: Emulator, name: str, kwargs: dict[str, Any]) -> Any:
    if name == "mutations":
        return emulator.mutations
    if name == "calls":
        return [[service, action, n] for (service, action), n in sorted(emulator.calls.items())]
    return getattr(emulator, name)(**kwargs)


class _ControlApp:
    """Routes ``/_sagectl/...`` to the controls and everything else to moto."""

    def __init__(self, moto_app: WSGIApp, emulator: Emulator) -> None:
        self.moto_app = moto_app
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            return self.moto_app(environ, start_response)
        name = path[len(CONTROL_PREFIX):].strip("/")
        status, payload = "200 OK", {}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            kwargs = json.loads(body) if body else {}
            if name == "health":
                payload = {"result": "ok"}
            elif name not in CONTROLS or not isinstance(kwargs, dict):
                status, payload = "404 Not Found", {"error": f"no control {name!r}"}
            else:
                payload = {"result": _control(self.emulator, name, kwargs)}
        except (TypeError, ValueError, KeyError) as err:
            status, payload = "400 Bad Request", {"error": f"{type(err).__name__}: {err}"}
        data = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(data)))])
        return [data]


def _dispatcher() -> WSGIApp:
    """moto's host dispatcher, remembering which backend serves a host.

    moto looks the backend up again on every request, listing its own package directory
    (``os.listdir`` and an ``isdir`` per entry) while holding a lock every request takes: about a
    fifth of the served emulator's CPU per request. A host's backend never changes while the
    server runs (the backends and their URL patterns are fixed at import), so the first answer
    for each host is kept."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    class CachedDispatcher(DomainDispatcherApplication):
        def __init__(self) -> None:
            super().__init__(create_backend_app)
            self._backends: dict[str | None, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            try:
                return self._backends[host]
            except KeyError:
                backend = self._backends[host] = super().get_backend_for_host(host)
                return backend

    return CachedDispatcher()


class EmulatorServer:
    """``with EmulatorServer(port=0) as url: ...`` or ``start()`` / ``stop()``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, time_factor: float = 1.0,
                 quiet: bool = True) -> None:
        self.host, self.port, self.time_factor, self.quiet = host, port, time_factor, quiet
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.connections = 0
        """TCP connections accepted so far (clients keep them alive between calls)."""

    def _on_connection(self, connection: socket.socket, opened: bool) -> None:
        with self._open_lock:
            if opened:
                self.connections += 1
                self._open.add(connection)
            else:
                self._open.discard(connection)

    @property
    def url(self) -> str:
        assert self._server is not None, "call start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        from werkzeug.serving import make_server

        from sagemaker_emulator.keep_alive import KeepAliveHandler

        install()
        if self.quiet:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
        STATE.clock.set_time_factor(self.time_factor)
        app = _ControlApp(_dispatcher(), Emulator(STATE))
        self._server = make_server(self.host, self.port, app, threaded=True,
                                   request_handler=KeepAliveHandler)
        self._server.on_connection = self._on_connection
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="sagectl-emulator")
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Block until interrupted (for ``sagectl emulator serve``)."""
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def stop(self) -> None:
        if self._server is not None:
            STATE.faults.crash.released.set()  # never leave a request thread holding
            self._server.shutdown()
            self._server.server_close()
            with self._open_lock:  # idle kept-alive connections: the clients reconnect
                for connection in self._open:
                    with contextlib.suppress(OSError):
                        connection.shutdown(socket.SHUT_RDWR)
                self._open.clear()
            self._server = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _remote_call(post: Callable[..., Any], name: str) -> Callable[..., Any]:
    """A control called with ``Emulator``'s signature, sent as keyword arguments."""
    signature = inspect.signature(getattr(Emulator, name))

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(None, *args, **kwargs)
        params: dict[str, Any] = {}
        for key, value in list(bound.arguments.items())[1:]:
            if signature.parameters[key].kind is inspect.Parameter.VAR_KEYWORD:
                params.update(value)
            else:
                params[key] = value
        return post(name, **params)

    return call


class RemoteEmulator(Emulator):
    """The controls of a served emulator, over HTTP (same methods as ``Emulator``)."""

    def __init__(self, url: str, region: str = "us-east-1") -> None:
        super().__init__(STATE, endpoint_url=url.rstrip("/"), region=region)

    def _post(self, control: str, **kwargs: Any) -> Any:
        assert self.endpoint_url is not None
        return post_control(self.endpoint_url, control, **kwargs)

    def client(self, service: str, region: str | None = None, retries: int = 1) -> Any:
        import os

        for key, value in FAKE_CREDENTIALS.items():
            os.environ.setdefault(key, value)
        return super().client(service, region, retries)

    @property
    def mutations(self) -> int:  # type: ignore[override]
        return int(self._post("mutations"))

    @property
    def calls(self) -> Any:  # type: ignore[override]
        from collections import Counter

        return Counter({(s, a): n for s, a, n in self._post("calls")})

    def __getattribute__(self, name: str) -> Any:
        if name in CONTROLS and name not in ("mutations", "calls"):
            return _remote_call(object.__getattribute__(self, "_post"), name)
        return object.__getattribute__(self, name)

    def health(self) -> bool:
        return self._post("health") == "ok"
