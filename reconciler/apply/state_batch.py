"""The state table's writes of several items in one call (``StateTable`` inherits them): the
lease keeper's renewal of every held lease, the release of the leases that end together, and
the journal cleared with the history record. They use the low-level DynamoDB client (typed
attribute values, ``_typed``): it is thread-safe, and these calls are made from several
threads at once. Each keeps the condition the one-item write has (``state.py``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from reconciler.defaults import LEASE_SECONDS

TRANSACTION_ITEMS = 100
"""TransactWriteItems ``TransactItems``: at most 100 (botocore: max 100; AWS: "groups up to
100 action requests")."""
CANCELLED = ("TransactionCanceledException", "TransactionConflictException")


class StateError(Exception):
    """The state table cannot be used (missing and not creatable, no access...). A user error."""

    user_error = True


def disappeared(table: str) -> str:
    return (f"live state disappeared: the state table {table} no longer exists, though this run "
            "used it (it was deleted, or the account's state was reset, as when an emulator "
            "restarts); this run's leases and journal went with it, so it changes nothing "
            "more: run sagectl plan to see what AWS holds now")


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values (strings, Decimals, maps...) as DynamoDB attribute values."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    return {k: serializer.serialize(v) for k, v in values.items()}


class BatchWrites:
    """Mixed into ``StateTable`` (which provides ``aws``, ``name``, ``now``, ``table``,
    ``release`` and ``_history_item``)."""

    aws: Any
    name: str
    table: Any

    def now(self) -> float: ...  # provided by StateTable

    def release(self, key: str, run_id: str, stopped: bool = False) -> None: ...

    def _history_item(self, key: str, run_id: str, record: dict[str, Any]
                      ) -> dict[str, Any]: ...

    def _client(self) -> Any:
        """The low-level DynamoDB client (typed attribute values: ``_typed``), for the calls
        that write several items at once; thread-safe, unlike the table resource's own client
        shared by threads for them (its parameter transformations are not)."""
        self.table  # noqa: B018 (the table exists: created on first use)
        return self.aws.client("dynamodb")

    def heartbeat_many(self, keys: list[str], run_id: str, seconds: float = LEASE_SECONDS
                       ) -> list[str]:
        """Renew our leases ``keys`` with one TransactWriteItems per 100 (its limit: "Maximum
        number of 100 items"), each update under the same condition as ``heartbeat``. When a
        transaction is cancelled (a lease is not ours any more, or a conflict), its leases are
        renewed one by one, which says which one was lost. Returns the keys renewed; raises
        ``LeaseHeld`` for none (see ``RunLeases.renew``, which calls ``heartbeat`` for those)."""
        renewed: list[str] = []
        client = self._client()
        for start in range(0, len(keys), TRANSACTION_ITEMS):
            chunk = keys[start:start + TRANSACTION_ITEMS]
            now = Decimal(str(self.now()))
            items = [{"Update": {
                "TableName": self.name, "Key": _typed({"pk": f"lease#{key}", "sk": "lease"}),
                "UpdateExpression": "SET heartbeat = :now, expires = :exp",
                "ConditionExpression": "run_id = :run",
                "ExpressionAttributeValues": _typed({
                    ":now": now, ":exp": now + Decimal(str(seconds)), ":run": run_id})}}
                for key in chunk]
            try:
                client.transact_write_items(TransactItems=items)
            except ClientError as err:
                code = err.response["Error"]["Code"]
                if code == "ResourceNotFoundException":
                    raise StateError(disappeared(self.name)) from err
                if code not in CANCELLED:
                    raise
                continue  # the caller renews these one by one
            renewed += chunk
        return renewed

    def release_many(self, keys: list[str], run_id: str) -> None:
        """``release`` (not stopped) of ``keys``, one TransactWriteItems of conditional deletes
        per 100; a cancelled transaction (a lease no longer ours) releases its keys one by one,
        as ``release`` does (a lease that is not ours is left alone)."""
        for start in range(0, len(keys), TRANSACTION_ITEMS):
            chunk = keys[start:start + TRANSACTION_ITEMS]
            if len(chunk) > 1:
                try:
                    self._client().transact_write_items(TransactItems=[{"Delete": {
                        "TableName": self.name,
                        "Key": _typed({"pk": f"lease#{key}", "sk": "lease"}),
                        "ConditionExpression": "run_id = :run",
                        "ExpressionAttributeValues": _typed({":run": run_id})}}
                        for key in chunk])
                    continue
                except ClientError as err:
                    if err.response["Error"]["Code"] not in CANCELLED:
                        raise
            for key in chunk:
                self.release(key, run_id)

    def clear_with_history(self, key: str, run_id: str, record: dict[str, Any]) -> None:
        """``clear`` the journal and ``add_history`` in one BatchWriteItem (both unconditional,
        as on their own): what a finished operation writes last. Items DynamoDB leaves
        unprocessed are sent again."""
        pending: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": _typed({"pk": f"journal#{key}", "sk": "current"})}},
            {"PutRequest": {"Item": _typed(self._history_item(key, run_id, record))}}]
        client = self._client()
        while pending:
            try:
                answer = client.batch_write_item(RequestItems={self.name: pending})
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    raise StateError(disappeared(self.name)) from err
                raise
            pending = (answer.get("UnprocessedItems") or {}).get(self.name) or []

