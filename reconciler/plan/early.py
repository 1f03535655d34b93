"""Reads a plan starts before its specs are loaded.

A plan's wall time is bounded by its longest serial chain: Application Auto Scaling returns at
most 10 scaling policies a call, so a namespace of 1,000 policies is 100 calls one after the
other. Such reads need only the account and the region, not the specs, so ``sagectl plan``
opens AWS as soon as the environment file is read and starts them while the spec tree is still
being parsed and validated: the caller's identity at once, and a kind's region-wide reads
(``Kind.start_region_reads``) as soon as the first document of that kind is read
(``kind_seen``, the spec loader's ``on_kind``). The planner takes them from here
(``PlanContext.early``); a plan made without an ``EarlyReads`` makes one and starts the same
reads first thing.

Every read is started once per plan, under a key: two kinds that need the same list (endpoints
and inference components both read the ``sagemaker`` scaling namespace) share one chain. A read
started for a kind whose documents all end up outside the plan (e.g. invalid specs: nothing is
planned) was still made; it changes nothing, and the plan's ``reads`` count it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from reconciler.aws import Aws

if TYPE_CHECKING:
    from reconciler.contract import Kind

T = TypeVar("T")


def caller_account(aws: Aws) -> str | None:
    try:
        return aws.client("sts").get_caller_identity()["Account"]  # type: ignore[no-any-return]
    except ClientError:
        return None


class EarlyReads:
    """The reads of one plan that depend only on its account and region."""

    def __init__(self, aws: Aws, kinds: Mapping[str, type[Kind]] | None = None) -> None:
        self.aws = aws
        self._kinds = kinds or {}
        self._lock = threading.Lock()
        self._started: dict[str, Any] = {}
        self._seen: set[str] = set()
        self._account: Future[str | None] | None = None

    def account(self) -> Future[str | None]:
        """The caller's account (GetCallerIdentity), checked against the environment's. Asked
        once the first kind's long reads are on their way (their client is made first: the
        pool makes one client at a time), or when the plan needs it; once."""
        with self._lock:
            if self._account is None:
                self.aws.client("sts")  # made on this thread: see ``start``
                self._account = self.aws.submit(caller_account, self.aws)
            return self._account

    def start(self, key: str, begin: Callable[[Aws], T]) -> T:
        """``begin(aws)`` (which starts reads on the pool and returns their futures) the first
        time ``key`` is asked for; the same futures every time after. ``begin`` makes the
        clients it needs on the calling thread before it submits: a client made on a pool
        thread while the main thread parses the specs takes several times as long (both want
        the interpreter), and the chain it serves would start that much later."""
        with self._lock:
            if key not in self._started:
                self._started[key] = begin(self.aws)
            return self._started[key]  # type: ignore[no-any-return]

    def kind_seen(self, kind: str) -> None:
        """A document of ``kind`` was read: start that kind's region-wide reads (once)."""
        with self._lock:
            if kind in self._seen:
                return
            self._seen.add(kind)
        found = self._kinds.get(kind)
        before = len(self._started)
        if found is not None:
            found.start_region_reads(self)
        if len(self._started) > before:  # the first long reads are on their way: now the rest
            self.account()
