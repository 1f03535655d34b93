"""``sagectl import``: write specs for live endpoints (and adopt them). Commands only; the work is
``reconciler/importer/``.

Exit codes: 0 written (adopted with ``--adopt``; without it, adoption would leave the plan empty);
1 error (an unknown, busy or already managed endpoint, an existing file that would change, specs
that do not validate, adoption that would not leave the plan empty, AWS errors); 2 usage;
3 internal error.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from reconciler.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    add_aws_options,
    environment_missing,
    examples,
    print_diagnostics,
    read_parallel,
)


def _name(text: str) -> bool:
    """Whether ``text`` can be an endpoint's name (the kinds are imported only when used)."""
    from reconciler.kinds._aws import SAGEMAKER_NAME_PATTERN

    return re.match(SAGEMAKER_NAME_PATTERN, text) is not None


def _split(positionals: list[str]) -> tuple[list[str], str]:
    """ENDPOINT... [PATH]: the last argument is PATH when it cannot be an endpoint name, or
    when it is a directory (write ``./NAME`` for a directory named like an endpoint)."""
    if len(positionals) > 1:
        last = positionals[-1]
        if not _name(last) or Path(last).is_dir():
            return positionals[:-1], last
    return positionals, "specs"


def _usage(message: str) -> int:
    print(f"sagectl: {message}", file=sys.stderr)
    return EXIT_USAGE


def _tags_text(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in tags.items())


def _report(args: argparse.Namespace, result: Any, names: list[str], path: str) -> int:
    from reconciler.plan.render.text import render_change

    for f in result.files:
        what = ", ".join(d.address for d in f.documents)
        verb = "wrote" if f.written else "unchanged"
        print(f"{verb} {f.path}: {what}")
    for line in result.notes:
        print(f"note: {line}", file=sys.stderr)
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if result.diagnostics:
        for diag in result.diagnostics:
            print(diag.text(), file=sys.stderr)
        print("sagectl: the imported specs are not valid: sagectl cannot manage these endpoints "
              "as they are configured; nothing was adopted", file=sys.stderr)
        return EXIT_ERROR
    rehearsal = result.rehearsal
    for problem in rehearsal.problems:
        hint = f" (hint: {problem.hint})" if problem.hint else ""
        print(f"{problem.severity}: {problem.address}: {problem.message}{hint}", file=sys.stderr)
    if not rehearsal.clean:
        for change in rehearsal.changes:
            print("\n".join(render_change(change)), file=sys.stderr)
        print("sagectl: once adopted, the plan would still change the resources above; nothing "
              "was tagged", file=sys.stderr)
        return EXIT_ERROR
    env = args.env or "(no environment)"
    if args.adopt:
        for t in result.adopted:
            print(f"adopted {t.what} as {t.address} ({env})")
        print(f"`sagectl plan {path}{_env_flag(args)}` shows no changes for them")
        return EXIT_OK
    print(f"adoption would tag ({env}):")
    for t in rehearsal.taggings:
        if t.add:
            print(f"  {t.what} ({t.address}): {_tags_text(t.add)}")
    command = " ".join(["sagectl", "import", *names, path, *_env_flag(args).split(), "--adopt"])
    print(f"adopt them with `{command}`; until then `sagectl plan` reports them as conflicts")
    return EXIT_OK


def _env_flag(args: argparse.Namespace) -> str:
    return f" --env {args.env}" if args.env else ""


def cmd_import(args: argparse.Namespace) -> int:
    from reconciler.aws import AwsConfigError, failure_message
    from reconciler.cli.registry import KINDS
    from reconciler.importer import ImportOptions, run_import
    from reconciler.plan.early import caller_account
    from reconciler.spec.load import load_specs
    from reconciler.targets import Target, open_target

    names, path = _split(args.names)
    names = list(dict.fromkeys(names))
    bad = [n for n in names if not _name(n) or len(n) > 63]
    if bad:
        return _usage(f"not an endpoint name: {', '.join(bad)}")
    root = Path(path)
    if not root.is_dir():
        return _usage(f"{path} is not a directory: PATH is the spec tree to import into")
    out = Path(args.out) if args.out else root / "imported"
    if not out.resolve().is_relative_to(root.resolve()):
        return _usage(f"--out {out} is outside the spec tree {path}: plan would not see the "
                      "files there")
    specs = load_specs(root, KINDS, args.env)
    if environment_missing(specs, args.env):
        return EXIT_USAGE
    # Errors in files the import rewrites do not matter, nor the tree's own (e.g. no spec files
    # yet: the import adds them).
    ignored = {(out / f"{n}.yaml").resolve() for n in names} | {root.resolve()}
    errors = [d for d in specs.report.errors if Path(d.pos.file).resolve() not in ignored]
    if errors or (args.env is not None and specs.environment is None):
        print_diagnostics(errors or specs.report.errors, "text")
        print("sagectl: the specs are invalid; nothing was imported", file=sys.stderr)
        return EXIT_ERROR
    # without --adopt, import only reads AWS (and writes files): planRoleArn; --adopt tags
    target = Target(emulator=args.emulator, profile=args.profile, region=args.region,
                    concurrency=read_parallel(args), read_only=not args.adopt)
    options = ImportOptions(names, root, out, args.env, adopt=args.adopt, force=args.force)
    try:
        with open_target(specs.environment, target) as (aws, _clock):
            account = caller_account(aws)
            env = specs.environment
            if env and env.spec.account_id and account and account != env.spec.account_id:
                raise AwsConfigError(f"the AWS credentials are for account {account}, but "
                                     f"environment {env.name!r} is account "
                                     f"{env.spec.account_id} ({env.file}); refusing to import")
            result = run_import(options, specs, aws,
                                account or (env.spec.account_id if env else None))
            return _report(args, result, names, path)
    except Exception as err:
        message = failure_message(err)
        if message is None and isinstance(err, OSError):
            message = f"{err.filename or 'a file'}: {err.strerror or err}"
        if message is None:
            raise
        print(f"sagectl: {message}", file=sys.stderr)
        return EXIT_ERROR


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "import", help="write specs for live endpoints, and adopt them",
        usage="sagectl import ENDPOINT... [PATH] [--env ENV] [--out DIR] [--adopt] [--force] "
              "[--emulator] [--profile NAME] [--region REGION] [--parallel N]",
        description="Read live endpoints (config, models, autoscaling, the alarms they use) and "
                    "write one spec file per endpoint that plans as `No changes.` once adopted. "
                    "With --adopt, tag them with sagectl's ownership tags for the environment, "
                    "after checking that the plan would then be empty. Exit codes: 0 done, "
                    "1 error, 2 usage.",
        epilog=examples(
            "sagectl import fraud-detector --env prod               # writes specs/imported/",
            "sagectl import fraud-detector churn specs --env prod --adopt",
            "sagectl import fraud-detector --env dev --out specs/endpoints --force"))
    p.add_argument("names", nargs="+", metavar="ENDPOINT",
                   help="endpoints to import; a last argument that is a directory (or cannot be "
                        "an endpoint name) is PATH, the spec tree (default: specs)")
    p.add_argument("--env", metavar="ENV",
                   help="environment to adopt into (required when the specs define "
                                 "some)")
    p.add_argument("--out", metavar="DIR",
                   help="directory for the files, inside PATH (default: PATH/imported)")
    p.add_argument("--adopt", action="store_true",
                   help="tag the resources as owned by sagectl for the environment")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    add_aws_options(p)
    p.set_defaults(func=cmd_import)
