"""Secrets Manager stays moto's; its answers are kept inside botocore's model.

moto builds DescribeSecret and ListSecrets from one dict that carries both spellings of the
version map: DescribeSecret's member is ``VersionIdsToStages``, ListSecrets' entries'
``SecretVersionsToStages`` (and ``ReplicationStatus`` is DescribeSecret's only). Each answer now
holds only its own operation's members. GetSecretValue and the errors were conformant already.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.secretsmanager.responses import SecretsManagerResponse


@functools.cache
def _members(shape: str) -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("secretsmanager")
    return frozenset(model.shape_for(shape).members)


def _only(found: dict[str, Any], shape: str) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k in _members(shape)}


def _filtered(original: Callable[[SecretsManagerResponse], Any],
              fix: Callable[[dict[str, Any]], dict[str, Any]]
              ) -> Callable[[SecretsManagerResponse], Any]:
    def answer(self: SecretsManagerResponse) -> Any:
        body = original(self)
        return json.dumps(fix(json.loads(body))) if isinstance(body, str) else body

    return answer


SecretsManagerResponse.describe_secret = _filtered(  # type: ignore[method-assign]
    SecretsManagerResponse.describe_secret,
    lambda found: _only(found, "DescribeSecretResponse"))
SecretsManagerResponse.list_secrets = _filtered(  # type: ignore[method-assign]
    SecretsManagerResponse.list_secrets,
    lambda found: {**found, "SecretList": [_only(entry, "SecretListEntry")
                                           for entry in found.get("SecretList") or []]})
