"""Quarantine of an endpoint spec that was rolled back, kept where it cannot be lost separately
from the endpoint: the state table's record (``quarantine#<endpoint>``) and the endpoint's own
``sagectl:quarantined-digest`` tag, written together and cleared together.

- ``Quarantine.gate``: before an endpoint change. A quarantined digest (table or tag) is not
  applied again by an automatic run, nor by hand without ``--force``; ``--force`` lifts it.
  When the quarantine status is unknown (the table was lost, the endpoint has no tag: see
  ``after_table_loss``), automatic runs do not deploy; a run by hand does (a human decided).
- ``record``: after a rollback or a degraded end: the tag first (it survives the table), then
  the table record.
- ``Quarantine.clear``: when lifted by ``--force``, or once a different spec was applied
  successfully.
- ``after_table_loss``: the state table had to be created while endpoints of the specs are
  managed by sagectl: say so, and give each one a record marked unknown (with the digest of its
  tag, if it has one), so that every later automatic run, not only this one, treats what cannot
  be known as not safe: the lost table may have held a quarantine the tags do not show (one
  recorded before tags were written), and spec digests keyed with the environment's digest key
  (kept in the table too) change when it is lost.

The plan reads the tag with the other ownership tags (the change's apply data,
``quarantined_digest``, covered by its fingerprint); the plan itself never adds or removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.apply.context import WAITING, ApplyContext, Outcome
from reconciler.kinds.endpoint import guardrails
from reconciler.kinds.endpoint.apply_data import EndpointApplyData
from reconciler.plan.context import ADDRESS_TAG, MANAGED_BY
from reconciler.plan.model import ResourceChange

QUARANTINE_TAG = "sagectl:quarantined-digest"


@dataclass
class Quarantine:
    """What is known about one endpoint's quarantine before its change runs."""

    record: dict[str, Any] | None
    """The state table's record."""
    tagged: str | None
    """The digest in the endpoint's tag, as the plan read it."""

    @classmethod
    def read(cls, actx: ApplyContext, change: ResourceChange) -> Quarantine:
        tagged = EndpointApplyData.of(change).quarantined_digest
        return cls(actx.state.quarantined(change.name), tagged or None)

    def quarantined(self, digest: str) -> bool:
        record = self.record or {}
        return bool(digest) and digest in (record.get("spec_digest"), self.tagged)

    def refusal(self, actx: ApplyContext, change: ResourceChange, digest: str
                ) -> Outcome | None:
        """Why the change must not run (None: it may); no side effects."""
        record = self.record or {}
        if self.quarantined(digest) and (actx.options.automatic or not actx.options.force):
            why = record.get("reason") if record.get("spec_digest") == digest else \
                f"recorded in the endpoint's {QUARANTINE_TAG} tag"
            return Outcome(change.address, WAITING, f"quarantined: this spec was rolled "
                           f"back ({why}); change the spec, or apply with --force to try "
                           "it again")
        unknown = record.get("unknown")
        if unknown and actx.options.automatic and not self.quarantined(digest):
            return Outcome(change.address, WAITING, f"quarantine status unknown: {unknown}; "
                           "automatic runs do not deploy to this endpoint until an apply by "
                           "hand succeeds (sagectl apply; --force if this spec is the one that "
                           "was rolled back)")
        return None

    def gate(self, actx: ApplyContext, change: ResourceChange, digest: str) -> Outcome | None:
        """``refusal``; a quarantine that ``--force`` overrides is lifted here."""
        refused = self.refusal(actx, change, digest)
        if refused is None and self.quarantined(digest):  # forced, by hand
            self.clear(actx, change.name)
            actx.events.emit("quarantine", change.address,
                             message="quarantine lifted (--force)")
        return refused

    def clear(self, actx: ApplyContext, name: str) -> None:
        """Remove the tag and the record (nothing to do when neither exists). A tag that cannot
        be removed is reported, not raised: this also runs once a deploy has succeeded."""
        if self.record is None and self.tagged is None:
            return
        try:
            described = guardrails.describe(actx, name)
            if described is not None:
                actx.aws.client("sagemaker").delete_tags(ResourceArn=described["EndpointArn"],
                                                         TagKeys=[QUARANTINE_TAG])
            self.tagged = None
        except ClientError as err:
            actx.events.emit("quarantine", f"Endpoint.{name}", message=(
                f"could not remove the endpoint's {QUARANTINE_TAG} tag ({err}); remove it by "
                "hand, or the next successful apply of this endpoint does"))
        if self.record is not None:
            actx.state.lift_quarantine(name)
            self.record = None


def record(actx: ApplyContext, name: str, digest: str, reason: str) -> None:
    """Quarantine ``digest`` on the endpoint (tag) and in the state table."""
    described = guardrails.describe(actx, name)
    if described is not None:
        try:
            actx.aws.client("sagemaker").add_tags(ResourceArn=described["EndpointArn"], Tags=[
                {"Key": QUARANTINE_TAG, "Value": digest}])
        except ClientError as err:  # the table record below still holds it
            actx.events.emit("quarantine", f"Endpoint.{name}",
                             message=f"could not tag the endpoint as quarantined: {err}")
    actx.state.quarantine(name, digest, reason)


def after_table_loss(actx: ApplyContext, names: list[str]) -> None:
    """When this run found the state table missing, and endpoints of the specs are managed by
    sagectl: say so, and give each a quarantine record from its tag, or an unknown one."""
    state = actx.state
    state.table  # noqa: B018 -- created now if it was missing (or StateError)
    if not state.created or not names:
        return
    state.created = False  # once per run
    wanted = {f"Endpoint.{n}": n for n in names}
    managed: dict[str, str | None] = {}
    for item in actx.aws.paginate(
            "resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList",
            TagFilters=[{"Key": MANAGED_BY, "Values": ["sagectl"]}],
            ResourceTypeFilters=["sagemaker:endpoint"], ResourcesPerPage=100):
        tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
        name = wanted.get(tags.get(ADDRESS_TAG, ""))
        if name is not None:
            managed[name] = tags.get(QUARANTINE_TAG)
    if not managed:
        return
    actx.events.emit("warning", "", message=(
        f"the state table {state.name} is missing but this environment has {len(managed)} "
        f"managed endpoint{'s' if len(managed) != 1 else ''}: quarantine and journal records "
        "may be lost (the table was created again; quarantines are restored from the "
        f"endpoints' {QUARANTINE_TAG} tags, and automatic runs do not deploy to these "
        "endpoints until an apply by hand succeeds)"))
    unknown = f"the state table {state.name} was missing, so a rollback it recorded may be lost"
    for name, digest in sorted(managed.items()):
        state.quarantine(name, digest or None, "rolled back (restored from the endpoint's tag "
                         "after the state table was lost)" if digest else unknown,
                         unknown=unknown, **({"source": "tag"} if digest else {}))
