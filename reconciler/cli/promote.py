"""``sagectl promote``: pin the registry version of a Model (or of every registry-backed Model an
Endpoint serves) by editing its spec in place, so the promotion goes through a pull request like
any other change. The text editing and locating is ``promote.py``; this module parses the
arguments, asks the registry, writes, re-validates and restores on failure.

Exit codes: 0 pinned (or already pinned; with --dry-run: the diff was printed); 1 error (unknown
name, no registry model, invalid specs, a version that does not exist, AWS errors; nothing is
written); 2 usage; 3 internal error.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    add_aws_options,
    add_format_option,
    environment_missing,
    examples,
    print_diagnostics,
    read_parallel,
)


class RegistryError(Exception):
    """The registry cannot give the version asked for (a user error, not a bug)."""

    user_error = True


def _missing(err: Any) -> bool:
    from reconciler.kinds._live import not_found

    message = str(err.response.get("Error", {}).get("Message", "")).lower()
    return not_found(err) or "not found" in message


def registry_versions(aws: Any, account: str | None, groups: list[str],
                      version: int | None) -> tuple[dict[str, int], list[str]]:
    """({group: version to pin}, warnings). ``version`` None means the latest Approved one.
    A group is a name (this account) or an ARN (any account: ListModelPackages and
    DescribeModelPackage take ARNs; the group's resource policy decides)."""
    from botocore.exceptions import ClientError

    sm = aws.client("sagemaker")
    pinned: dict[str, int] = {}
    warnings: list[str] = []
    for group in dict.fromkeys(groups):
        if version is None:
            # Explicitly newest first: ListModelPackages' default order is ascending.
            found = sm.list_model_packages(
                ModelPackageGroupName=group, ModelApprovalStatus="Approved",
                ModelPackageType="Versioned",  # the documented default is Unversioned (rule 16)
                SortBy="CreationTime", SortOrder="Descending", MaxResults=1,
            )["ModelPackageSummaryList"]
            if not found:
                raise RegistryError(f"model package group {group} has no Approved version "
                                    "(or does not exist)")
            arn = found[0]["ModelPackageArn"]
            pinned[group] = int(found[0].get("ModelPackageVersion") or arn.rsplit("/", 1)[-1])
            continue
        if group.startswith("arn:"):  # a central registry's group, named by ARN
            arn = group.replace(":model-package-group/", ":model-package/", 1) + f"/{version}"
        else:
            arn = (f"arn:aws:sagemaker:{aws.region}:{account or '000000000000'}:model-package/"
                   f"{group.lower()}/{version}")
        try:
            package = sm.describe_model_package(ModelPackageName=arn)
        except ClientError as err:
            if _missing(err):
                raise RegistryError(f"model package group {group} has no version {version} "
                                    f"({arn} does not exist); nothing was changed") from None
            raise
        status = package.get("ModelApprovalStatus", "unknown")
        if status != "Approved":
            warnings.append(f"{group} version {version} is {status}, not Approved; pinning it "
                            "anyway (plan and apply will deploy it)")
        pinned[group] = version
    return pinned, warnings


def _resolve_versions(args: argparse.Namespace, specs: Any, groups: list[str]
                      ) -> tuple[dict[str, int], list[str]]:
    from reconciler.targets import Target, open_target

    # promote reads the registry and edits spec files: nothing in AWS changes
    target = Target(emulator=args.emulator, profile=args.profile, region=args.region,
                    concurrency=read_parallel(args), read_only=True)
    with open_target(specs.environment, target) as (aws, _clock):
        account = _check_account(aws, specs)
        return registry_versions(aws, account, groups, args.pin_version)


def _check_account(aws: Any, specs: Any) -> str | None:
    """The account to read the registry in: the credentials' must be the environment's."""
    from reconciler.aws import AwsConfigError
    from reconciler.plan.early import caller_account

    env = specs.environment
    account = caller_account(aws)
    expected = env.spec.account_id if env else None
    if expected and account and account != expected:
        raise AwsConfigError(f"the AWS credentials are for account {account}, but "
                             f"environment {env.name!r} is account {expected} ({env.file}); "
                             "refusing to read another account's registry")
    return account or expected


def _invalid(diagnostics: list[Any], why: str) -> int:
    print_diagnostics(diagnostics, "text")
    print(f"sagectl: {why}", file=sys.stderr)
    return EXIT_ERROR


def _aws_call(run: Any) -> int:
    """``run()``, with AWS and span errors told to the user (exit 1)."""
    from reconciler.aws import failure_message
    from reconciler.spec.spans import SpanError

    try:
        run()
    except Exception as err:
        message = str(err) if isinstance(err, SpanError) else failure_message(err)
        if message is None:
            raise
        print(f"sagectl: {message}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _paths(args: argparse.Namespace) -> str | None:
    """The positionals: ``NAME [PATH]``, or ``[PATH]`` alone with --list-newer. None: a usage
    error (printed)."""
    if args.list_newer:
        if args.name is not None and args.path is not None:
            print("sagectl: promote --list-newer takes a spec directory, not a name",
                  file=sys.stderr)
            return None
        args.path = args.name or args.path or "specs"
        return args.path
    if args.name is None:
        print("sagectl: promote needs the name of a Model or an Endpoint", file=sys.stderr)
        return None
    args.path = args.path or "specs"
    return args.path


def _list_newer(args: argparse.Namespace, specs: Any) -> int:
    from reconciler.cli.promote_list import list_newer
    from reconciler.targets import Target, open_target

    def run() -> None:
        target = Target(emulator=args.emulator, profile=args.profile, region=args.region,
                        concurrency=read_parallel(args), read_only=True)
        with open_target(specs.environment, target) as (aws, _clock):
            _check_account(aws, specs)
            list_newer(aws, specs, args.format)

    return _aws_call(run)


def cmd_promote(args: argparse.Namespace) -> int:
    from reconciler.aws import failure_message
    from reconciler.cli.registry import KINDS
    from reconciler.promote import apply_edits, find_pins, plan_edits, unified_diff
    from reconciler.spec.load import load_specs, validate
    from reconciler.spec.spans import SpanError

    if _paths(args) is None:
        return EXIT_USAGE
    specs = load_specs(args.path, KINDS, args.env)
    if environment_missing(specs, args.env):
        return EXIT_USAGE
    before = validate(args.path, KINDS)  # every environment: an edit may be shared by several
    if before.errors:
        return _invalid(before.diagnostics, "the specs are invalid; nothing was promoted")
    if not specs.ok:
        return _invalid(specs.report.sorted(), "the specs are invalid; nothing was promoted")
    if args.list_newer:
        return _list_newer(args, specs)
    try:
        pins = find_pins(specs, args.name)
        versions, warnings = _resolve_versions(args, specs, [p.group for p in pins])
        for warning in warnings:
            print(f"sagectl: warning: {warning}", file=sys.stderr)
        others = {e: load_specs(args.path, KINDS, e) for e in specs.environments
                  if e != args.env}
        promotion, sources = plan_edits(specs, pins, versions, others, args.path)
        new_texts = apply_edits(sources, promotion.edits)
    except Exception as err:
        message = str(err) if isinstance(err, SpanError) else failure_message(err)
        if message is None:
            raise
        print(f"sagectl: {message}", file=sys.stderr)
        return EXIT_ERROR
    for line in promotion.already:
        print(line)
    if not promotion.edits:
        return EXIT_OK
    for note in promotion.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.dry_run:
        for file, text in new_texts.items():
            sys.stdout.write(unified_diff(file, sources[file].text, text))
        return EXIT_OK
    return _write(args, specs.env_name, promotion, sources, new_texts)


def _write(args: argparse.Namespace, env: str | None, promotion: Any, sources: Any,
           new_texts: dict[str, str]) -> int:
    """Write every file, re-validate every environment and check this one resolves the new
    versions; any failure puts the original bytes back."""

    from reconciler.cli.registry import KINDS
    from reconciler.spec.load import load_specs, validate

    written: list[str] = []
    try:
        for file, text in new_texts.items():
            write_atomically(file, sources[file].encode(text))
            written.append(file)
        after = validate(args.path, KINDS)
        problem = "the edited specs do not validate" if after.errors else ""
        loaded = load_specs(args.path, KINDS, env)
        for edit in [] if problem else promotion.edits:
            got = _pinned_now(loaded, edit.pin)
            if got != edit.new:
                problem = (f"after the edit, {edit.pin.label} resolves to {got!r}, not "
                           f"{edit.new} (set elsewhere too?)")
                break
    except OSError as err:
        _restore(written, sources)
        print(f"sagectl: cannot write {err.filename}: {err.strerror}; nothing changed",
              file=sys.stderr)
        return EXIT_ERROR
    except BaseException:
        _restore(written, sources)
        raise
    if problem:
        _restore(written, sources)
        return _invalid(after.errors, f"{problem}; the files were restored, nothing changed")
    for edit in promotion.edits:
        print(edit.describe())
    return EXIT_OK


def write_atomically(file: str, data: bytes) -> None:
    """Replace ``file`` with ``data`` all at once (a temporary file and os.replace), keeping its
    permissions: an interrupted promote leaves the old file or the new one, never half."""
    path = Path(file)
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _pinned_now(specs: Any, pin: Any) -> Any:
    """What ``pin``'s place resolves to in ``specs`` (as its kind reads it), or None."""
    from reconciler.contract import NothingToPromote

    resource = specs.get(pin.kind, pin.name)
    if resource is None:
        return None
    try:
        found = specs.kinds[pin.kind].registry_pins(specs, resource)
    except NothingToPromote:
        return None
    return next((p.current for p in found if (p.kind, p.name, p.at) ==
                 (pin.kind, pin.name, pin.at)), None)


def _restore(files: list[str], sources: Any) -> None:
    for file in files:
        write_atomically(file, sources[file].data)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a version number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("a version number is 1 or more")
    return value


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "promote", help="pin a model's registry version in the specs (for a pull request)",
        description="Pin the model package version of a Model, or of every registry-backed "
                    "Model an Endpoint serves, by editing the spec file in place (only that "
                    "value changes). " + __doc__.split("\n\n", 1)[1].replace("\n", " "),
        epilog=examples(
            "sagectl promote fraud-detector --env prod --latest-approved",
            "sagectl promote fraud-model --env prod --version 7",
            "sagectl promote fraud-detector --env prod --latest-approved --dry-run  # a diff",
            "sagectl promote --list-newer specs --env prod --format json  # what could be"))
    p.add_argument("name", metavar="ENDPOINT_OR_MODEL", nargs="?",
                   help="a Model or an Endpoint (not with --list-newer)")
    p.add_argument("path", nargs="?", help="spec directory (default: specs)")
    p.add_argument("--env", metavar="ENV", help="environment (required when the specs define some)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--version", dest="pin_version", type=_positive, metavar="N",
                       help="pin this version (it must exist; a warning if it is not Approved)")
    which.add_argument("--latest-approved", action="store_true",
                       help="pin the newest Approved version of the group")
    which.add_argument("--list-newer", action="store_true",
                       help="edit nothing: list the registry-backed Models of the environment "
                            "whose group has a newer Approved version than the pinned one (with "
                            "the package's metadata), pins to a Rejected version, and Models "
                            "that follow the newest version")
    add_format_option(p, ["text", "json"], "output format of --list-newer (default: text)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the change as a unified diff; write nothing")
    add_aws_options(p)
    p.set_defaults(func=cmd_promote)
