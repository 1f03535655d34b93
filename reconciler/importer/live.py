"""What an import reads, in terms every kind shares: a live resource with its tags (``Tagged``),
the refusal of an import (``ImportRefused``), and the tags of everything read, in bulk.

What to read is the kinds' to say (``Kind.import_files``, ``Kind.import_read``,
``Kind.import_related``); tags are read once for all of it through the tagging API, as a plan
reads ownership.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.aws import Aws, batches
from reconciler.plan.context import ADDRESS_TAG, ENV_TAG, MANAGED_BY


class ImportRefused(Exception):
    """The import cannot go ahead; the message says why (a user error, not a bug)."""

    user_error = True


@dataclass
class Tagged:
    """One live resource: its Describe* response and all of its tags."""

    name: str
    arn: str
    described: dict[str, Any]
    tags: dict[str, str]

    @property
    def managed(self) -> bool:
        return MANAGED_BY in self.tags

    @property
    def env(self) -> str:
        return self.tags.get(ENV_TAG, "")

    @property
    def address(self) -> str | None:
        return self.tags.get(ADDRESS_TAG)

    def owner_text(self) -> str:
        return f"environment {self.env!r}, {self.address or 'no address'}"


def clean(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response without its ``ResponseMetadata``."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def read_tags(aws: Aws, resources: list[Tagged]) -> None:
    """Set the tags of ``resources`` through the tagging API, 100 a call: the view of ownership
    that plan has, with no per-service ListTags. Resources that were never tagged are not listed:
    they have no tags."""
    found: dict[str, dict[str, str]] = {}
    for batch in batches(sorted({r.arn for r in resources}), 100):
        for item in aws.paginate("resourcegroupstaggingapi", "get_resources",
                                 "ResourceTagMappingList", ResourceARNList=batch):
            found[item["ResourceARN"].lower()] = {t["Key"]: t["Value"]
                                                  for t in item.get("Tags", [])}
    for resource in resources:
        resource.tags = found.get(resource.arn.lower(), {})
