"""sagectl's own state in AWS: one DynamoDB table for leases, the journal of in-flight operations,
per-endpoint history, quarantined spec digests and the unlock audit trail.

AWS stays the state of the resources; this table only holds what AWS cannot tell us: who is
working on an endpoint right now, what a run that died had started, and what happened before.

Items (``pk``, ``sk``):

- ``lease#<endpoint>``, ``lease``: owner, run id, started, heartbeat, expires (epoch seconds).
  Taken with a conditional put (absent, expired, or already ours), so two applies never interleave
  on one endpoint while applies on different endpoints proceed.
- ``journal#<endpoint>``, ``current``: the operation in flight (phase, old and new config, the
  autoscaling to restore, the bake deadline): a run killed at any point re-attaches from it.
- ``history#<endpoint>``, ``<time>#<run>``: one record per apply of the endpoint.
- ``quarantine#<endpoint>``, ``current``: the spec digest that was rolled back.
- ``audit#<endpoint>``, ``<time>#unlock``: forced unlocks.
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

from reconciler.aws import Aws

DEFAULT_TABLE = "sagectl-state"
LEASE_SECONDS = 900.0
"""A lease not renewed for this long belongs to a run that died."""


class StateError(Exception):
    """The state table cannot be used (missing and not creatable, no access...). A user error."""

    user_error = True


class LeaseHeld(Exception):
    def __init__(self, endpoint: str, holder: dict[str, Any]) -> None:
        super().__init__(f"endpoint {endpoint} is being changed by {holder.get('owner')} "
                         f"(run {holder.get('run_id')}, since {iso(holder.get('started'))}, "
                         f"lease expires {iso(holder.get('expires'))})")
        self.endpoint = endpoint
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
class StateTable:
    aws: Aws
    name: str = DEFAULT_TABLE
    now: Callable[[], float] = time.time
    create: bool = True
    """Create the table on first use (needs dynamodb:CreateTable)."""

    def __post_init__(self) -> None:
        self._ready = False
        self._resource = None

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def table(self) -> Any:
        if self._resource is None:
            self._resource = self.aws.resource("dynamodb").Table(self.name)
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
    def acquire(self, endpoint: str, run_id: str, owner: str,
                seconds: float = LEASE_SECONDS) -> None:
        now = self.now()
        item = {"pk": f"lease#{endpoint}", "sk": "lease", "owner": owner, "run_id": run_id,
                "started": now, "heartbeat": now, "expires": now + seconds}
        try:
            self.table.put_item(
                Item=_to_item(item),
                ConditionExpression="attribute_not_exists(pk) OR expires < :now OR run_id = :run",
                ExpressionAttributeValues={":now": Decimal(str(now)), ":run": run_id})
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise LeaseHeld(endpoint, self._get(f"lease#{endpoint}", "lease") or {}) from None

    def heartbeat(self, endpoint: str, run_id: str, seconds: float = LEASE_SECONDS) -> None:
        now = self.now()
        try:
            self.table.update_item(
                Key={"pk": f"lease#{endpoint}", "sk": "lease"},
                UpdateExpression="SET heartbeat = :now, expires = :exp",
                ConditionExpression="run_id = :run",
                ExpressionAttributeValues={":now": Decimal(str(now)),
                                           ":exp": Decimal(str(now + seconds)), ":run": run_id})
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise LeaseHeld(endpoint, self._get(f"lease#{endpoint}", "lease") or {}) from None

    def release(self, endpoint: str, run_id: str) -> None:
        try:
            self.table.delete_item(Key={"pk": f"lease#{endpoint}", "sk": "lease"},
                                   ConditionExpression="run_id = :run",
                                   ExpressionAttributeValues={":run": run_id})
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def lease(self, endpoint: str) -> dict[str, Any] | None:
        return self._get(f"lease#{endpoint}", "lease")

    def unlock(self, endpoint: str, who: str, reason: str) -> dict[str, Any] | None:
        """Remove a lease whoever holds it, with an audit record. Returns the removed lease."""
        held = self.lease(endpoint)
        self.table.delete_item(Key={"pk": f"lease#{endpoint}", "sk": "lease"})
        now = self.now()
        self.table.put_item(Item=_to_item({
            "pk": f"audit#{endpoint}", "sk": f"{now:017.6f}#unlock", "time": now, "who": who,
            "reason": reason, "removed": held}))
        return held

    # -- journal -------------------------------------------------------------------------------
    def journal(self, endpoint: str) -> dict[str, Any] | None:
        return self._get(f"journal#{endpoint}", "current")

    def record(self, endpoint: str, entry: dict[str, Any]) -> None:
        self.table.put_item(Item=_to_item({"pk": f"journal#{endpoint}", "sk": "current",
                                           **entry, "updated": self.now()}))

    def clear(self, endpoint: str) -> None:
        self.table.delete_item(Key={"pk": f"journal#{endpoint}", "sk": "current"})

    # -- history and quarantine ----------------------------------------------------------------
    def add_history(self, endpoint: str, run_id: str, record: dict[str, Any]) -> None:
        now = self.now()
        self.table.put_item(Item=_to_item({"pk": f"history#{endpoint}",
                                           "sk": f"{now:017.6f}#{run_id}", "time": now,
                                           "run_id": run_id, **record}))

    def history(self, endpoint: str, limit: int = 50) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        items = self.table.query(KeyConditionExpression=Key("pk").eq(f"history#{endpoint}"),
                                 ScanIndexForward=False, Limit=limit,
                                 ConsistentRead=True).get("Items", [])
        return [_from_item(i) for i in items]

    def quarantine(self, endpoint: str, spec_digest: str, reason: str) -> None:
        self.table.put_item(Item=_to_item({"pk": f"quarantine#{endpoint}", "sk": "current",
                                           "spec_digest": spec_digest, "reason": reason,
                                           "time": self.now()}))

    def quarantined(self, endpoint: str) -> dict[str, Any] | None:
        return self._get(f"quarantine#{endpoint}", "current")

    def lift_quarantine(self, endpoint: str) -> None:
        self.table.delete_item(Key={"pk": f"quarantine#{endpoint}", "sk": "current"})


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]
