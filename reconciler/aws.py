"""AWS access for sagectl: sessions and clients from the standard configuration, adaptive retries,
pagination, a bounded pool for concurrent reads, and a count of every call.

Configuration is boto3's own: ``AWS_PROFILE``/``--profile``, ``AWS_REGION``/the environment's
``region``, ``AWS_ENDPOINT_URL`` (for the local emulator or a VPC endpoint). Every client uses
botocore's adaptive retry mode, so throttling slows sagectl down instead of failing it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.config import Config

from reconciler.defaults import DEFAULT_CONCURRENCY

T = TypeVar("T")
R = TypeVar("R")


DEFAULT_MAX_ATTEMPTS = 10
USER_AGENT = "sagectl"


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    account_header: str | None = None
    """For the emulator only: act as this account (moto's ``x-moto-account-id``)."""


class Aws:
    """Clients, counted calls and a bounded pool. Thread-safe."""

    def __init__(self, settings: AwsSettings | None = None,
                 session: Any = None) -> None:
        self.settings = settings or AwsSettings()
        import boto3  # loaded when a command talks to AWS, not at start-up

        self.session = session or boto3.Session(profile_name=self.settings.profile,
                                                region_name=self.settings.region)
        self._clients: dict[str, Any] = {}
        self._paginators: dict[tuple[str, str], Any] = {}
        self._closed = False
        self._lock = threading.Lock()
        """Guards the counts: taken on every call, so never held for long."""
        self._making = threading.Lock()
        """Guards making clients (one at a time: a boto3 session is not thread-safe), which
        takes tens of milliseconds: under ``_lock`` every call in flight would wait for it."""
        self.calls: Counter[str] = Counter()
        """Operations called, as ``service:Operation`` (retries not included)."""
        self.attempts: Counter[str] = Counter()
        """HTTP requests sent, including retries."""
        self._pool = ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency),
                                        thread_name_prefix="sagectl-aws")

    @property
    def region(self) -> str:
        region = self.settings.region or self.session.region_name
        if not region:
            raise AwsConfigError("no AWS region: set it in the environment file (spec.region), "
                                 "with AWS_REGION, or in your AWS profile")
        return region

    def _config(self) -> Config:
        return Config(retries={"mode": "adaptive", "max_attempts": self.settings.max_attempts},
                      max_pool_connections=self.settings.concurrency + 4,
                      user_agent_extra=USER_AGENT)

    def _instrument(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._count_call)
        client.meta.events.register("before-send.*.*", self._count_attempt)
        if self.settings.account_header:
            client.meta.events.register("before-sign.*.*", self._add_account)

    def client(self, service: str) -> Any:
        with self._making:
            found = self._clients.get(service)
            if found is None:
                found = self.session.client(service, region_name=self.region,
                                            endpoint_url=self.settings.endpoint_url,
                                            config=self._config())
                self._instrument(found)
                self._clients[service] = found
            return found

    def resource(self, service: str) -> Any:
        """A boto3 resource (DynamoDB tables), counted and configured like the clients."""
        with self._making:
            key = f"resource:{service}"
            found = self._clients.get(key)
            if found is None:
                found = self.session.resource(service, region_name=self.region,
                                              endpoint_url=self.settings.endpoint_url,
                                              config=self._config())
                self._instrument(found.meta.client)
                self._clients[key] = found
            return found

    def _count_call(self, model: Any, **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        with self._lock:
            self.calls[f"{service}:{operation}"] += 1
        for observer in _observers:
            observer(service, operation)

    def _count_attempt(self, request: Any, **kwargs: Any) -> None:
        name = kwargs.get("event_name", "before-send.?.?").split(".")
        with self._lock:
            self.attempts[f"{name[1]}:{name[2]}"] += 1

    def _add_account(self, request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = self.settings.account_header

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    # -- helpers ---------------------------------------------------------------------------
    def paginate(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        """Every item of ``key`` over all pages of ``operation``."""
        paginator = self._paginator(service, operation)
        items: list[Any] = []
        for pages, page in enumerate(paginator.paginate(**params), start=1):
            items.extend(page.get(key, []))
            if self._closed:  # nobody will read the rest (see ``close``)
                raise Closed(f"{service}:{operation} stopped after {pages} page(s): closed")
        return items

    def _paginator(self, service: str, operation: str) -> Any:
        """One paginator per operation, made under the lock. botocore loads a service's
        pagination model on first use and caches it per client, but threads asking at once all
        miss that cache and each load it again (a scan of botocore's data directories)."""
        client = self.client(service)
        with self._making:
            found = self._paginators.get((service, operation))
            if found is None:
                found = self._paginators[(service, operation)] = client.get_paginator(operation)
            return found

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` over ``items`` on the bounded pool, results in order.

        A map called from inside a pool worker runs inline: waiting on the same bounded pool
        from one of its own workers would deadlock once every worker waits."""
        if getattr(_worker, "active", False):
            return [fn(item) for item in items]
        return list(self._pool.map(lambda item: _in_worker(fn, item), items))

    def submit(self, fn: Callable[..., R], *args: Any) -> Future[R]:
        """``fn(*args)`` on the pool (inline when already on a pool worker, see ``map``)."""
        if getattr(_worker, "active", False):
            done: Future[R] = Future()
            try:
                done.set_result(fn(*args))
            except BaseException as err:  # handed to the caller through the future
                done.set_exception(err)
            return done
        return self._pool.submit(lambda: _in_worker(lambda _: fn(*args), None))

    def close(self) -> None:
        """Wait for the calls under way; reads nobody started yet are cancelled, and a
        paginated read stops at its next page (e.g. the long chains a plan starts while its
        specs load, when the specs turn out invalid: nothing waits for their 100 pages)."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)


# -- process-wide call observers ------------------------------------------------------------
CallObserver = Callable[[str, str], None]
_observers: tuple[CallObserver, ...] = ()
_observers_lock = threading.Lock()


def add_call_observer(observer: CallObserver) -> Callable[[], None]:
    """Call ``observer(service, operation)`` for every operation that any ``Aws`` client of this
    process calls, e.g. ``("sagemaker", "UpdateEndpoint")`` (botocore service name, API operation
    name; once per call, retries not included), on the calling thread, before the request. It
    must be quick and must not raise. Returns the function that removes it.

    The test suite's IAM coverage check (tests/iam_coverage.py) records sagectl's operations
    with it. Without observers each call costs one loop over an empty tuple; registering swaps
    the tuple under a lock, so callers never lock."""
    global _observers
    with _observers_lock:
        _observers = (*_observers, observer)

    def remove() -> None:
        global _observers
        with _observers_lock:
            _observers = tuple(o for o in _observers if o is not observer)

    return remove


def observe_client(client: Any) -> None:
    """Tell the call observers about the calls of a client made outside ``Aws`` (the STS client
    that assumes an environment's role, reconciler/assume.py: its session is made before the
    ``Aws`` that uses it)."""
    def notify(model: Any, **_: Any) -> None:
        for observer in _observers:
            observer(model.service_model.service_name, model.name)

    client.meta.events.register("before-call.*.*", notify)


_worker = threading.local()


def _in_worker(fn: Callable[[T], R], item: T) -> R:
    _worker.active = True
    try:
        return fn(item)
    finally:
        _worker.active = False


class Closed(Exception):
    """A read was stopped because its ``Aws`` was closed: nobody waits for its result."""


class AwsConfigError(Exception):
    """The AWS configuration cannot work (no region, wrong account...). A user error."""


NO_CREDENTIALS = (
    "no AWS credentials found: tried botocore's standard chain (AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, the AWS_PROFILE or default profile of ~/.aws/credentials and "
    "~/.aws/config, SSO and process credentials, container and EC2 instance roles). Choose a "
    "profile with --profile NAME or AWS_PROFILE=NAME, log in with `aws sso login --profile NAME`, "
    "or try sagectl without an account: --emulator (an embedded emulator), or "
    "SAGECTL_EMULATOR_URL=http://127.0.0.1:5055 with `sagectl emulator serve`")
"""What ``failure_message`` says when botocore found no credentials: not a network problem."""


def failure_message(err: Exception) -> str | None:
    """What to tell the user about an error that comes from AWS or its configuration (None: the
    error is something else, e.g. a bug)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if isinstance(err, ClientError):
        info = err.response.get("Error", {})
        return f"AWS refused {err.operation_name}: {info.get('Code')}: {info.get('Message')}"
    if isinstance(err, NoCredentialsError):
        return NO_CREDENTIALS
    if isinstance(err, BotoCoreError):
        return f"cannot reach AWS: {err}"
    if isinstance(err, AwsConfigError) or getattr(err, "user_error", False):
        return str(err)
    return None


def user_failure(err: Exception) -> str:
    """What to print for ``err`` (``failure_message``); re-raises it when it is neither the
    user's nor AWS's doing (a bug: the CLI reports it as an internal error)."""
    message = failure_message(err)
    if message is None:
        raise err
    return message


def batches(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
