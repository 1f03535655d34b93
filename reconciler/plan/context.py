"""What kinds need while planning: AWS access, the desired state, and who owns what.

Ownership is read once for the whole estate through the Resource Groups Tagging API (a handful
of paginated GetResources calls instead of a ListTags per resource). Everything sagectl creates
carries the tags below; only resources owned by *this* environment can be changed or deleted.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from reconciler.apply.state import DEFAULT_TABLE, StateTable
from reconciler.aws import Aws
from reconciler.plan.digest_key import DigestKey, ensure_key, provisional_key, read_key
from reconciler.plan.early import EarlyReads
from reconciler.plan.model import digest
from reconciler.spec.resources import Resource, SpecSet

T = TypeVar("T")

MANAGED_BY = "sagectl:managed-by"
ENV_TAG = "sagectl:env"
ADDRESS_TAG = "sagectl:address"
PATH_TAG = "sagectl:spec-path"
DIGEST_TAG = "sagectl:spec-digest"
COMMIT_TAG = "sagectl:git-commit"
PROTECTION_TAG = "sagectl:deletion-protection"
STRUCTURE_TAG = "sagectl:structure"
"""On endpoint configs: digest of the config's structure (everything but counts and weights)."""
OWNERSHIP_TAGS = (MANAGED_BY, ENV_TAG, ADDRESS_TAG, PATH_TAG, DIGEST_TAG, COMMIT_TAG,
                  PROTECTION_TAG, STRUCTURE_TAG)


_DIGEST_KEY = "digest-key"


@dataclass(frozen=True)
class OwnedResource:
    """A resource tagged by sagectl, as the tagging API lists it."""

    arn: str
    resource_type: str
    tags: dict[str, str]

    @property
    def name(self) -> str:
        return _resource_part(self.arn)[1]

    @property
    def address(self) -> str | None:
        return self.tags.get(ADDRESS_TAG)

    @property
    def env(self) -> str | None:
        return self.tags.get(ENV_TAG)


class Ownership:
    """Every resource sagectl manages in this account and region, by ARN, indexed by resource
    type, environment and address (a plan asks "this environment's configs of endpoint X" once
    per endpoint: a scan of the whole estate each time grew the plan quadratically)."""

    def __init__(self, resources: list[OwnedResource], env: str | None) -> None:
        self.env = env or ""
        self.by_arn: dict[str, OwnedResource] = {}
        self._by_type: dict[tuple[str, str], dict[str, OwnedResource]] = {}
        self._by_address: dict[tuple[str, str, str], dict[str, OwnedResource]] = {}
        for resource in resources:
            self.learn(resource)

    @staticmethod
    def _keys(resource: OwnedResource) -> tuple[tuple[str, str], tuple[str, str, str]]:
        env = resource.env or ""
        return (resource.resource_type, env), (resource.resource_type, env,
                                               resource.address or "")

    def get(self, arn: str) -> OwnedResource | None:
        return self.by_arn.get(arn.lower())

    def owner_env(self, arn: str) -> str | None:
        """``None`` if not managed by sagectl; else the environment that manages it."""
        found = self.get(arn)
        return None if found is None else (found.env or "")

    def learn(self, resource: OwnedResource) -> None:
        """Add a resource found after the tagging API was read (see ``Kind`` plans that confirm
        an owner with the resource's own tags)."""
        key = resource.arn.lower()
        known = self.by_arn.get(key)
        if known is not None:
            by_type, by_address = self._keys(known)
            self._by_type[by_type].pop(key, None)
            self._by_address[by_address].pop(key, None)
        self.by_arn[key] = resource
        by_type, by_address = self._keys(resource)
        self._by_type.setdefault(by_type, {})[key] = resource
        self._by_address.setdefault(by_address, {})[key] = resource

    def is_mine(self, arn: str) -> bool:
        return self.owner_env(arn) == self.env

    def mine(self, resource_type: str, address: str | None = None) -> list[OwnedResource]:
        """This environment's resources of ``resource_type`` (only those tagged with
        ``address`` when given), in the order they were read."""
        if address is None:
            return list(self._by_type.get((resource_type, self.env), {}).values())
        return list(self._by_address.get((resource_type, self.env, address), {}).values())


def git_commit(start: Path) -> str:
    for key in ("SAGECTL_GIT_COMMIT", "GITHUB_SHA"):
        if os.environ.get(key):
            return os.environ[key]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=start, capture_output=True,
                             text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


@dataclass
class PlanOptions:
    prune: bool | None = None
    """Override the environment's ``prune`` setting."""
    keep_configs: int = 3
    """Old endpoint configs (and their models) kept as rollback targets."""
    pins: dict[str, str] = field(default_factory=dict)
    """Values a saved plan resolved (see ``PlanContext.pinned``): used as they are."""
    state_table: str = DEFAULT_TABLE
    """The state table, where the environment's digest key is read from."""
    digest_key: Callable[[], DigestKey] | None = None
    """How to get the environment's digest key when the plan first needs it, instead of reading
    it: apply creates it if missing (``with_key``)."""


def with_key(state: StateTable, env: str | None, options: PlanOptions | None) -> PlanOptions:
    """``options`` for a plan that will be applied: the environment's key is created if missing
    when the plan first needs one (a plan without sensitive values touches no table)."""
    return replace(options or PlanOptions(), state_table=state.name,
                   digest_key=lambda: ensure_key(state, env))



class PlanContext:
    def __init__(self, aws: Aws, specs: SpecSet, commit: str, repo_root: Path,
                 options: PlanOptions | None = None, account: str | None = None,
                 early: EarlyReads | None = None) -> None:
        self.aws = aws
        self.early = early or EarlyReads(aws, specs.kinds)
        """Reads that need only the account and region, perhaps started before the specs were
        loaded (``reconciler/plan/early.py``): kinds take their region-wide reads from here."""
        self.specs = specs
        self.env = specs.env_name
        self.commit = commit
        self.repo_root = repo_root
        self.options = options or PlanOptions()
        self.account = account
        self.ownership = Ownership([], self.env)
        self.shared: dict[str, Any] = {}
        """Facts kinds publish for other kinds (e.g. the AWS names of models)."""
        self.prefetched: dict[str, Any] = {}
        """Reads kinds started early (futures), keyed by kind; see ``Kind.prefetch``."""
        self.observed: dict[str, Any] = {}
        """What kinds read while planning that a drift check classifies, by kind name (e.g. the
        endpoints' statuses): drift asks the kinds (``Kind.drift``) instead of reading again."""
        self.digests: dict[str, str] = {}
        """The spec digest each resource is planned with (what its ownership tag will say)."""
        self.pins: dict[str, str] = {}
        """Values this plan resolved from moving live state (e.g. the latest approved package of
        a registry group): a saved plan keeps them, so applying it deploys what was reviewed."""
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    # -- digests that cover sensitive values (see reconciler/plan/digest_key.py) ----------------
    def sensitive_digest(self, value: Any) -> str:
        """A digest of ``value``, which holds sensitive values: keyed with the environment's
        digest key (read on first use; a provisional one where none exists yet)."""
        return self._digest_key().digest(value)

    def digest_for(self, sensitive: bool) -> Callable[[Any], str]:
        """``sensitive_digest`` for what holds sensitive values, the plain ``digest`` for the
        rest (whose names and tags must not change). Asking for it with ``sensitive`` reads the
        key now, so the plan records which key its digests use."""
        if not sensitive:
            return digest
        self._digest_key()
        return self.sensitive_digest

    @property
    def digest_key(self) -> str | None:
        """``Plan.digest_key``: which key the plan's sensitive digests use (None: none needed)."""
        with self._lock:
            key: DigestKey | None = self._cache.get(_DIGEST_KEY)
        return None if key is None else key.origin

    def seal(self, plain: str) -> str:
        """A digest computed over everything (e.g. the specs' digest), keyed when this plan holds
        sensitive values: a plain digest of the specs would confirm a guess as well."""
        return plain if self.digest_key is None else self.sensitive_digest(plain)

    def _digest_key(self) -> DigestKey:
        def load() -> DigestKey:
            if self.options.digest_key is not None:
                return self.options.digest_key()
            return read_key(self.aws, self.options.state_table, self.env) or provisional_key()

        return self.once(_DIGEST_KEY, load)

    @property
    def prune(self) -> bool:
        if self.options.prune is not None:
            return self.options.prune
        env = self.specs.environment
        return bool(env and env.spec.prune)

    def once(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for (thread-safe), then the result."""
        with self._lock:
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self._cache[key] = value
            return value

    def pinned(self, key: str, resolve: Callable[[], str]) -> str:
        """The saved plan's value for ``key`` if it has one, else ``resolve()``; recorded in
        the plan either way."""
        value = self.options.pins.get(key)
        if value is None:
            value = resolve()
        with self._lock:
            self.pins[key] = value
        return value

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.aws.region}:{self.account or '000000000000'}:{resource}"

    def spec_path(self, resource: Resource) -> str:
        root = self.once("spec_path:", self.repo_root.resolve)
        return self.once(f"spec_path:{resource.file}", lambda: _relative(resource.file, root))

    def ownership_tags(self, resource: Resource, spec_digest: str,
                       extra: dict[str, str] | None = None) -> dict[str, str]:
        with self._lock:
            self.digests[resource.address] = spec_digest[:32]
        tags = {MANAGED_BY: "sagectl", ENV_TAG: self.env or "", ADDRESS_TAG: resource.address,
                PATH_TAG: self.spec_path(resource)[-256:], DIGEST_TAG: spec_digest[:32],
                COMMIT_TAG: self.commit[:40]}
        tags.update(extra or {})
        return tags


def _relative(file: str, root: Path) -> str:
    """``file`` relative to ``root`` (resolved: links followed), else as given."""
    try:
        return str(Path(file).resolve().relative_to(root))
    except ValueError:
        return file


def _resource_part(arn: str) -> tuple[str, str]:
    """(type, name) of an ARN's resource: ``type/name``, ``type:name`` or ``name``. The first
    separator decides: a CloudWatch alarm (``alarm:<name>``) may have ``/`` in its name, as
    Application Auto Scaling's ``TargetTracking-endpoint/<e>/variant/<v>-AlarmHigh-...`` do."""
    tail = arn.split(":", 5)[-1]
    cut = min((i for i in (tail.find("/"), tail.find(":")) if i >= 0), default=-1)
    return (tail[:cut], tail[cut + 1:]) if cut >= 0 else (tail, tail)


def _resource_type(arn: str) -> str:
    return f"{arn.split(':', 5)[2]}:{_resource_part(arn)[0]}"


def target_tags(live: dict[str, str], user: dict[str, str], ownership: dict[str, str],
                changed: bool) -> dict[str, str]:
    """The full tag set a resource should end with. sagectl's bookkeeping tags (digest, commit,
    path) follow real changes only: a new commit alone does not touch every resource."""
    mine = {k: v for k, v in live.items() if k.startswith("sagectl:")}
    return {**user, **(ownership if changed or not mine else mine)}


def user_tags(tags: dict[str, str]) -> dict[str, str]:
    """Tags that are not sagectl's own."""
    return {k: v for k, v in tags.items() if not k.startswith("sagectl:")}
