"""The per-environment digest key: digests that cover sensitive values are keyed.

A plain sha256 of a request that holds a secret (a container's environment, a sensitive pipeline
parameter) lets anyone who sees the digest confirm a guessed secret offline: recompute the digest
with the guess, compare. Such digests are everywhere people can read them: ``request_digest`` in
plan artifacts, the ``sagectl:spec-digest`` tag (``tag:GetResources``), the ``<hash8>`` of a
model's name. So those digests are HMAC-SHA256 with a key only the state table holds: 32 random
bytes per environment, item ``pk="key#digest", sk=<env>``.

- ``plan`` and ``drift`` read it (GetItem, which their read-only role may do); apply (and drift
  ``--heal``) creates it (a conditional PutItem: the first run wins, every later run reads the
  same key) when its plan first needs it.
- A plan made where no key exists yet (a fresh environment, ``--emulator``, no state table) uses
  a random *provisional* key and says so (``"digest_key": "provisional"``): its names and digests
  can never be reproduced, so apply refuses to apply it as a saved plan.
- The key itself never leaves memory: not in a plan, an event, a message or a ``repr``.

Digests of what holds no sensitive value stay plain sha256 (``reconciler.plan.model.digest``), so
their names and tags do not change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from reconciler.apply.state import StateTable
    from reconciler.aws import Aws
    from reconciler.plan.model import Plan

KEY_PK = "key#digest"
NO_ENV = "(none)"
"""The sort key of a spec tree without environments (a key attribute cannot be empty)."""
KEY_BYTES = 32
ENVIRONMENT = "environment"
"""``Plan.digest_key``: the plan's sensitive digests use the environment's key."""
PROVISIONAL = "provisional"
"""``Plan.digest_key``: the environment had no key yet; a random one was used."""
REFUSAL = ("it was made with a provisional digest key (the environment had none yet), so its "
           "names and digests cannot be reproduced: plan again now that the environment's "
           "digest key exists")


class DigestKeyError(Exception):
    """The stored key cannot be read or is malformed. A user error (access, a hand edit)."""

    user_error = True


def canonical(value: Any) -> bytes:
    """The bytes ``reconciler.plan.model.digest`` hashes: sorted keys, no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def keyed_digest(key: bytes, value: Any) -> str:
    """HMAC-SHA256 of ``value``'s canonical JSON, hex."""
    return hmac.new(key, canonical(value), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class DigestKey:
    secret: bytes = field(repr=False)
    origin: str
    """``ENVIRONMENT`` or ``PROVISIONAL``."""

    def digest(self, value: Any) -> str:
        return keyed_digest(self.secret, value)


def _item_key(env: str | None) -> dict[str, Any]:
    return {"pk": {"S": KEY_PK}, "sk": {"S": env or NO_ENV}}


def read_key(aws: Aws, table: str, env: str | None) -> DigestKey | None:
    """The environment's key, or None when there is none yet (no item, or no table)."""
    try:
        item = aws.client("dynamodb").get_item(TableName=table, Key=_item_key(env),
                                                ConsistentRead=True).get("Item")
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None  # no state table: nothing was ever applied here
        raise
    if not item:
        return None
    secret = item.get("key", {}).get("B")
    if not isinstance(secret, bytes) or len(secret) != KEY_BYTES:
        raise DigestKeyError(f"the digest key of environment {env or NO_ENV} in the state table "
                             f"{table} is not {KEY_BYTES} bytes; delete the item "
                             f"(pk {KEY_PK}, sk {env or NO_ENV}) only if nothing was applied "
                             "with it (every model with environment values would be renamed)")
    return DigestKey(secret, ENVIRONMENT)


def provisional_key() -> DigestKey:
    return DigestKey(secrets.token_bytes(KEY_BYTES), PROVISIONAL)


def ensure_key(state: StateTable, env: str | None, secret: bytes | None = None) -> DigestKey:
    """The environment's key, created if missing (apply only: it needs dynamodb:PutItem, and the
    table, which ``state`` creates when allowed to). Two runs racing both read the winner's.
    ``secret``: the key to store if there is none (default: 32 random bytes; tests fix one)."""
    state.table  # noqa: B018 -- exists now (created if allowed), or StateError
    found = read_key(state.aws, state.name, env)
    if found is not None:
        return found
    client = state.aws.client("dynamodb")
    new = secret if secret is not None else secrets.token_bytes(KEY_BYTES)
    try:
        client.put_item(TableName=state.name,
                        Item={**_item_key(env), "key": {"B": new},
                              "created": {"N": str(int(state.now()))}},
                        ConditionExpression="attribute_not_exists(pk)")
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
    found = read_key(state.aws, state.name, env)
    if found is None:  # pragma: no cover - written or present a moment ago
        raise DigestKeyError(f"the digest key of environment {env or NO_ENV} vanished from the "
                             f"state table {state.name}")
    return found


def provisional_refusal(saved: Plan) -> str | None:
    """Why a saved plan cannot be applied because of its digest key (None: it can be)."""
    return REFUSAL if saved.digest_key == PROVISIONAL else None
