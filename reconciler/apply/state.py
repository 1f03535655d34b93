"""sagectl's own state in AWS: one DynamoDB table for leases, the journal of in-flight operations,
per-resource history, quarantined spec digests and the unlock audit trail.

AWS stays the state of the resources; this table only holds what AWS cannot tell us: who is
working on a resource right now, what a run that died had started, and what happened before.

Items (``pk``, ``sk``):

- ``lease#<key>``, ``lease``: owner, run id, address, started, heartbeat, expires (epoch
  seconds). Every change of every kind is leased: the key is the resource address
  (``ModelPackageGroup.fraud-models``, ``Pipeline.fraud-training``), except an endpoint's, which
  keeps the key it had when only endpoints were leased, its name (``lease#fraud-scorer``), so
  runs of older versions and this one still exclude each other. Taken with a conditional put
  (absent, expired, or already ours), so two applies never act on one resource at once while
  applies on different resources proceed. A run keeps the lease of a change whose undo may
  still be needed (a change that depends on it has not finished) and renews all it holds.
  The item also names the holding process (``host``, ``pid``, ``pidns``: its PID namespace on
  Linux). A lease is taken over at once, before it expires, when its holder is provably gone:
  released ``stopped`` (a run asked to stop by Ctrl-C or SIGTERM marks its leases
  "stopped, resumable" instead of deleting them), or held by a process of this host and PID
  namespace that no longer exists (a run killed outright). Every takeover of another run's
  lease (stopped, dead or expired) leaves an audit record.
The journal, history and quarantine records are a kind's, for resources whose changes are
long-running operations with a guarded rollout; the table only stores them, under a key the kind
chooses, and says nothing about what is in them. Today the endpoint kind keeps them, keyed by the
endpoint's name (its lease key; ``reconciler/kinds/endpoint/``: apply.py, resume.py,
quarantine.py, drift.py):

- ``journal#<key>``, ``current``: the operation in flight (for an endpoint: phase, old and new
  config, the autoscaling to restore, the bake deadline): a run killed at any point re-attaches
  from it.
- ``history#<key>``, ``<time>#<run>``: one record per apply of the resource.
- ``quarantine#<key>``, ``current``: the spec digest that was rolled back (``spec_digest``,
  ``reason``, ``time``). An endpoint carries the same digest in its
  ``sagectl:quarantined-digest`` tag, so a quarantine outlives this table. When the table had to
  be created while managed endpoints existed, each of them gets a record with ``unknown`` (why its
  status is unknown) and the digest of its tag, if any (``source: "tag"``): automatic runs do not
  deploy to it until an apply by hand succeeds, which deletes the record.
- ``audit#<key>``, ``<time>#unlock``: forced unlocks (the lease key: endpoint name or address);
  ``<time>#takeover``: a lease taken over from a run that stopped, died or let it expire
  (``removed``: the lease that was replaced, ``reason``, ``who``, ``run_id``: the new holder).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.state_batch import BatchWrites, StateError, disappeared
from reconciler.aws import Aws
from reconciler.defaults import DEFAULT_TABLE, LEASE_SECONDS

STOPPED = "stopped, resumable"
"""How a run asked to stop marks the leases it releases."""


class _Guarded:
    """The table resource, whose calls say "live state disappeared" (``StateError``) when the
    table that was there is gone, instead of a bare ResourceNotFoundException."""

    def __init__(self, resource: Any, name: str) -> None:
        self._resource, self._name = resource, name

    def __getattr__(self, attr: str) -> Any:
        found = getattr(self._resource, attr)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return found(*args, **kwargs)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    raise StateError(disappeared(self._name)) from err
                raise

        return call


class LeaseHeld(Exception):
    """Another run holds the lease (``holder`` is its item; empty when the lease is gone)."""

    def __init__(self, key: str, holder: dict[str, Any]) -> None:
        what = holder.get("address") or key
        process = (f", process {holder['pid']} on {holder.get('host')}"
                   if holder.get("pid") else "")
        super().__init__(
            f"{what} is being changed by {holder.get('owner')} (run {holder.get('run_id')}"
            f"{process}, since {iso(holder.get('started'))}, lease expires "
            f"{iso(holder.get('expires'))}); if that run is gone (killed on another machine), "
            f"`sagectl unlock {what}` removes its lease"
            if holder else f"the lease on {what} is no longer held by this run (it expired or "
                           "was unlocked)")
        self.key = key
        self.holder = holder


def iso(epoch: Any) -> str:
    if epoch is None:
        return "?"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch)))


def run_owner() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    return os.environ.get("GITHUB_ACTOR") or f"{user}@{socket.gethostname()}"


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:  # not Linux: one namespace per host
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # exists (another user's), or cannot be known
        return True
    return True


def gone(holder: dict[str, Any], now: float) -> str | None:
    """Why the run holding ``holder`` (a lease item) provably holds it no more, or None: it
    released it as stopped, its process on this host (same PID namespace) no longer exists, or
    it expired. A PID reused since is taken for the live holder (the lease waits: safe)."""
    if holder.get("stopped"):
        return (f"its run {holder.get('run_id')} ({holder.get('owner')}) stopped "
                f"at {iso(holder.get('stopped_at'))} and released it as {holder['stopped']}")
    pid = holder.get("pid")
    if pid and holder.get("host") == socket.gethostname() and \
            holder.get("pidns", "") == _pid_namespace() and int(pid) != os.getpid() and \
            not _alive(int(pid)):
        return (f"its run {holder.get('run_id')} ({holder.get('owner')}) died: process {pid} "
                f"on this host ({holder.get('host')}) no longer exists")
    if float(holder.get("expires") or 0) < now:
        return (f"the lease of run {holder.get('run_id')} ({holder.get('owner')}) expired at "
                f"{iso(holder.get('expires'))}")
    return None


def _to_item(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str), parse_float=Decimal)


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value
    return plain(item)  # type: ignore[no-any-return]


@dataclass
class StateTable(BatchWrites):
    aws: Aws
    name: str = DEFAULT_TABLE
    now: Callable[[], float] = time.time
    create: bool = True
    """Create the table on first use (needs dynamodb:CreateTable)."""

    def __post_init__(self) -> None:
        self._ready = False
        self._resource = None
        self.created = False
        """The table did not exist when this process first used it (created now)."""

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def table(self) -> Any:
        if self._resource is None:
            self._resource = _Guarded(self.aws.resource("dynamodb").Table(self.name), self.name)
        if not self._ready:
            self._ensure()
        return self._resource

    def _ensure(self) -> None:
        client = self.aws.client("dynamodb")
        try:
            client.describe_table(TableName=self.name)
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":
                raise StateError(f"cannot read the state table {self.name}: {err}") from err
            self.created = True
            if not self.create:
                raise StateError(f"the state table {self.name} does not exist; create it (pk, sk "
                                 "strings) or allow sagectl to (--create-state-table)") from err
            try:
                client.create_table(
                    TableName=self.name, BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                          {"AttributeName": "sk", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                               {"AttributeName": "sk", "KeyType": "RANGE"}],
                    Tags=[{"Key": "sagectl:managed-by", "Value": "sagectl"}])
            except ClientError as create_err:
                code = create_err.response["Error"]["Code"]
                if code != "ResourceInUseException":  # another run created it meanwhile
                    raise StateError(f"cannot create the state table {self.name}: "
                                     f"{create_err}") from create_err
            client.get_waiter("table_exists").wait(
                TableName=self.name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        self._ready = True

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        return _from_item(item) if item else None

    # -- leases --------------------------------------------------------------------------------
    def acquire(self, key: str, run_id: str, owner: str, seconds: float = LEASE_SECONDS,
                address: str | None = None) -> None:
        """Take the lease ``key`` (an endpoint name or a resource address), or raise
        ``LeaseHeld`` naming the live run that holds it."""
        now = self.now()
        item = {"pk": f"lease#{key}", "sk": "lease", "owner": owner, "run_id": run_id,
                "started": now, "heartbeat": now, "expires": now + seconds,
                "host": socket.gethostname(), "pid": os.getpid(), "pidns": _pid_namespace()}
        if address:
            item["address"] = address
        try:
            old = self.table.put_item(
                Item=_to_item(item), ReturnValues="ALL_OLD",
                ConditionExpression="attribute_not_exists(pk) OR expires < :now OR run_id = :run"
                                    " OR attribute_exists(stopped)",
                ExpressionAttributeValues={":now": Decimal(str(now)), ":run": run_id}
            ).get("Attributes")
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            holder = self._get(f"lease#{key}", "lease") or {}
            if not holder or gone(holder, now) is None:
                raise LeaseHeld(key, holder) from None
            try:  # its holder is dead: take it over, unless another run just did
                old = self.table.put_item(
                    Item=_to_item(item), ReturnValues="ALL_OLD",
                    ConditionExpression="run_id = :theirs",
                    ExpressionAttributeValues={":theirs": holder.get("run_id")}
                ).get("Attributes")
            except ClientError as err2:
                if err2.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                raise LeaseHeld(key, self._get(f"lease#{key}", "lease") or {}) from None
        old = _from_item(old) if old else None
        if old and old.get("run_id") != run_id:
            self._audit(key, "takeover", owner, gone(old, now) or "taken over", old,
                        run_id=run_id)

    def heartbeat(self, key: str, run_id: str, seconds: float = LEASE_SECONDS) -> None:
        """Renew our lease; ``LeaseHeld`` when it is not ours any more (then nothing this run
        did to the resource may be undone: someone else may have acted on it since)."""
        now = self.now()
        try:
            self.table.update_item(
                Key={"pk": f"lease#{key}", "sk": "lease"},
                UpdateExpression="SET heartbeat = :now, expires = :exp",
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={":now": Decimal(str(now)),
                                           ":exp": Decimal(str(now + seconds)), ":run": run_id})
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            held = self._get(f"lease#{key}", "lease") or {}
            raise LeaseHeld(key, held if held.get("run_id") != run_id else {}) from None

    def release(self, key: str, run_id: str, stopped: bool = False) -> None:
        """Delete our lease; ``stopped``: keep it, marked "stopped, resumable" and expired, so
        the next run takes it over at once (with an audit record naming this run) and anyone
        looking at the table sees where a run was stopped."""
        try:
            if stopped:
                now = Decimal(str(self.now()))
                self.table.update_item(
                    Key={"pk": f"lease#{key}", "sk": "lease"},
                    UpdateExpression="SET stopped = :why, stopped_at = :now, expires = :now",
                    ConditionExpression="run_id = :run",
                    ExpressionAttributeValues={":why": STOPPED, ":now": now, ":run": run_id})
                return
            self.table.delete_item(Key={"pk": f"lease#{key}", "sk": "lease"},
                                   ConditionExpression="run_id = :run",
                                   ExpressionAttributeValues={":run": run_id})
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def lease(self, key: str) -> dict[str, Any] | None:
        return self._get(f"lease#{key}", "lease")

    def unlock(self, key: str, who: str, reason: str) -> dict[str, Any] | None:
        """Remove a lease whoever holds it, with an audit record. Returns the removed lease."""
        held = self.lease(key)
        self.table.delete_item(Key={"pk": f"lease#{key}", "sk": "lease"})
        self._audit(key, "unlock", who, reason, held)
        return held

    def _audit(self, key: str, what: str, who: str, reason: str,
               removed: dict[str, Any] | None, **extra: Any) -> None:
        now = self.now()
        self.table.put_item(Item=_to_item({
            "pk": f"audit#{key}", "sk": f"{now:017.6f}#{what}", "time": now, "who": who,
            "reason": reason, "removed": removed, **extra}))

    def audit(self, key: str, limit: int = 50) -> list[dict[str, Any]]:
        """The audit records of lease ``key`` (unlocks, takeovers), newest first."""
        from boto3.dynamodb.conditions import Key

        items = self.table.query(KeyConditionExpression=Key("pk").eq(f"audit#{key}"),
                                 ScanIndexForward=False, Limit=limit,
                                 ConsistentRead=True).get("Items", [])
        return [_from_item(i) for i in items]

    # -- journal (a kind's records, under a key it chooses: see the module docstring) ----------
    def journal(self, key: str) -> dict[str, Any] | None:
        return self._get(f"journal#{key}", "current")

    def record(self, key: str, entry: dict[str, Any]) -> None:
        self.table.put_item(Item=_to_item({"pk": f"journal#{key}", "sk": "current",
                                           **entry, "updated": self.now()}))

    def clear(self, key: str) -> None:
        self.table.delete_item(Key={"pk": f"journal#{key}", "sk": "current"})

    # -- history and quarantine (a kind's records, under a key it chooses) ---------------------
    def _history_item(self, key: str, run_id: str, record: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        return _to_item({"pk": f"history#{key}", "sk": f"{now:017.6f}#{run_id}", "time": now,
                         "run_id": run_id, **record})

    def add_history(self, key: str, run_id: str, record: dict[str, Any]) -> None:
        self.table.put_item(Item=self._history_item(key, run_id, record))

    def history(self, key: str, limit: int = 50) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        items = self.table.query(KeyConditionExpression=Key("pk").eq(f"history#{key}"),
                                 ScanIndexForward=False, Limit=limit,
                                 ConsistentRead=True).get("Items", [])
        return [_from_item(i) for i in items]

    def quarantine(self, key: str, spec_digest: str | None, reason: str,
                   **extra: Any) -> None:
        """Record the rolled-back ``spec_digest`` (None with ``unknown=True``: a record that was
        lost with the table, see the module docstring)."""
        item = {"pk": f"quarantine#{key}", "sk": "current", "reason": reason,
                "time": self.now(), **extra}
        if spec_digest is not None:
            item["spec_digest"] = spec_digest
        self.table.put_item(Item=_to_item(item))

    def quarantined(self, key: str) -> dict[str, Any] | None:
        return self._get(f"quarantine#{key}", "current")

    def lift_quarantine(self, key: str) -> None:
        self.table.delete_item(Key={"pk": f"quarantine#{key}", "sk": "current"})


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]
