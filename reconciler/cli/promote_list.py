"""``sagectl promote --list-newer``: what an environment could promote, for the approval loop
(``scripts/ci/promote-prs.py`` opens one pull request per environment and model from it).

For every registry-backed Model of the environment (the kinds' ``registry_pins``, as ``sagectl
promote`` edits them) it asks the registry, read-only:

- ``candidates``: the Models with a container pinned to a version older than its group's newest
  Approved one (ListModelPackages, Approved, newest first), with that package's metadata
  (DescribeModelPackage: version, description, approval, the ModelMetrics report URIs) and the
  ``sagectl promote`` command that pins it;
- ``rejected``: containers pinned to a version that is now Rejected (it is deployed, or will be);
- ``following``: containers that name no version (``latestApproved``): a plan already resolves
  the newest Approved version for them, so they need no pull request and get none;
- ``groups``: per group, the newest Approved version and the status of every version newer than
  the oldest pin: a pull request that proposed one of them can be told what became of it
  (Rejected, approval revoked).

Nothing is edited and nothing written: this only reads the specs and the registry.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from reconciler.contract import NothingToPromote, RegistryPin
from reconciler.spec.resources import SpecSet

METRIC_REPORTS = {
    "ModelQuality": ("Statistics", "Constraints"),
    "ModelDataQuality": ("Statistics", "Constraints"),
    "Bias": ("Report", "PreTrainingReport", "PostTrainingReport"),
    "Explainability": ("Report",),
}
"""DescribeModelPackage's ``ModelMetrics``: each section's MetricsSource members (S3Uri)."""


def all_pins(specs: SpecSet) -> list[RegistryPin]:
    """Every registry pin of the environment, once (an Endpoint's pins are its Models')."""
    seen: dict[tuple[str, str, tuple[Any, ...]], RegistryPin] = {}
    for kind in specs.kinds.ordered():
        if not kind.promotable:
            continue
        for resource in specs.resources:
            if resource.kind != kind.kind:
                continue
            try:
                pins = kind.registry_pins(specs, resource)
            except NothingToPromote:
                continue
            for pin in pins:
                seen.setdefault((pin.kind, pin.name, tuple(pin.at)), pin)
    return list(seen.values())


def _version(summary: dict[str, Any]) -> int:
    return int(summary.get("ModelPackageVersion")
               or summary["ModelPackageArn"].rsplit("/", 1)[-1])


def _versions(sm: Any, group: str) -> list[dict[str, Any]]:
    """Every versioned package of the group, newest first."""
    out: list[dict[str, Any]] = []
    token = None
    while True:
        page = sm.list_model_packages(
            ModelPackageGroupName=group, ModelPackageType="Versioned",
            SortBy="CreationTime", SortOrder="Descending", MaxResults=100,
            **({"NextToken": token} if token else {}))
        out += page.get("ModelPackageSummaryList", [])
        token = page.get("NextToken")
        if not token:
            return out


def metrics(package: dict[str, Any]) -> list[dict[str, str]]:
    """The report URIs of a package's ModelMetrics, as ``{"name", "s3Uri", "contentType"}``."""
    found = []
    sections = package.get("ModelMetrics") or {}
    for section, members in METRIC_REPORTS.items():
        for member in members:
            source = (sections.get(section) or {}).get(member) or {}
            if source.get("S3Uri"):
                found.append({"name": f"{section}.{member}", "s3Uri": source["S3Uri"],
                              "contentType": source.get("ContentType", "")})
    return found


def package_metadata(sm: Any, arn: str) -> dict[str, Any]:
    package = sm.describe_model_package(ModelPackageName=arn)
    created = package.get("CreationTime")
    return {
        "arn": package["ModelPackageArn"],
        "version": package.get("ModelPackageVersion"),
        "description": package.get("ModelPackageDescription", ""),
        "approvalStatus": package.get("ModelApprovalStatus"),
        "approvalDescription": package.get("ApprovalDescription", ""),
        "creationTime": created.isoformat() if hasattr(created, "isoformat") else created,
        "metrics": metrics(package),
    }


def newer_report(sm: Any, specs: SpecSet, pins: Iterable[RegistryPin]) -> dict[str, Any]:
    pins = list(pins)
    env = specs.env_name
    groups: dict[str, dict[str, Any]] = {}
    for group in dict.fromkeys(p.group for p in pins):
        versions = _versions(sm, group)
        approved = [_version(s) for s in versions if s.get("ModelApprovalStatus") == "Approved"]
        pinned = [p.current for p in pins if p.group == group and isinstance(p.current, int)]
        floor = min(pinned, default=0)
        groups[group] = {
            "latestApproved": approved[0] if approved else None,
            "statuses": {str(_version(s)): s.get("ModelApprovalStatus")
                         for s in versions if _version(s) >= floor},
            "arns": {str(_version(s)): s["ModelPackageArn"] for s in versions},
        }
    candidates: dict[str, dict[str, Any]] = {}
    rejected, following = [], []
    packages: dict[str, dict[str, Any]] = {}
    for pin in pins:
        info = groups[pin.group]
        latest = info["latestApproved"]
        if not isinstance(pin.current, int):
            following.append({"model": pin.name, "label": pin.label, "group": pin.group,
                              "latestApproved": latest})
            continue
        status = info["statuses"].get(str(pin.current))
        if status == "Rejected":
            rejected.append({"model": pin.name, "label": pin.label, "group": pin.group,
                             "version": pin.current, "status": status})
        if latest is None or latest <= pin.current:
            continue
        key = f"{pin.group}/{latest}"
        if key not in packages:
            packages[key] = package_metadata(sm, info["arns"][str(latest)])
        entry = candidates.setdefault(pin.name, {
            "model": pin.name, "kind": pin.kind, "pins": [], "packages": [],
            "command": f"sagectl promote {pin.name}" + (f" --env {env}" if env else "")
                       + " --latest-approved"})
        entry["pins"].append({"label": pin.label, "group": pin.group, "current": pin.current,
                              "latestApproved": latest})
        if packages[key] not in entry["packages"]:
            entry["packages"].append(packages[key])
    for info in groups.values():
        del info["arns"]
    environment = specs.environment
    return {
        "environment": env,
        "account": environment.spec.account_id if environment else None,
        "region": environment.spec.region if environment else None,
        "candidates": sorted(candidates.values(), key=lambda c: c["model"]),
        "rejected": rejected,
        "following": following,
        "groups": groups,
    }


def render_text(report: dict[str, Any]) -> str:
    lines = []
    where = f" in {report['environment']}" if report["environment"] else ""
    for c in report["candidates"]:
        for pin in c["pins"]:
            lines.append(f"{pin['label']}: {pin['group']} version {pin['current']} -> "
                         f"{pin['latestApproved']} (Approved){where}: {c['command']}")
    for r in report["rejected"]:
        lines.append(f"{r['label']}: pinned {r['group']} version {r['version']} is "
                     f"{r['status']}{where}")
    for f in report["following"]:
        now = (f"now {f['latestApproved']}" if f["latestApproved"] is not None
               else "none yet")
        lines.append(f"{f['label']}: follows the newest Approved version of {f['group']} "
                     f"({now}); nothing to pin")
    if not report["candidates"]:
        lines.append(f"nothing newer to promote{where}")
    return "\n".join(lines) + "\n"


def list_newer(aws: Any, specs: SpecSet, fmt: str) -> None:
    report = newer_report(aws.client("sagemaker"), specs, all_pins(specs))
    if fmt == "json":
        sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(render_text(report))
