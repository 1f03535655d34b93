"""The ``sagectl`` command line. Commands only: parse arguments, call one stage, render, exit.

Exit codes: 0 success; 1 the input is invalid (or a check failed); 2 usage error; 3 internal error
(a bug: please report it with the message). ``apply`` adds 4 rolled back, 5 degraded, 6 not
applied (see ``cli_apply.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from reconciler import __version__
from sagemaker_emulator.cli import SERVE_DESCRIPTION, add_serve_arguments

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _cmd_validate(args: argparse.Namespace) -> int:
    from reconciler.spec.load import validate

    result = validate(args.path, args.env)
    diags = result.diagnostics
    errors = [d for d in diags if d.severity == "error"]
    if args.format == "json":
        print(json.dumps({
            "valid": not errors,
            "environments": result.environments,
            "resources": result.counts(),
            "diagnostics": [d.as_dict() for d in diags],
        }, indent=2))
        return EXIT_INVALID if errors else EXIT_OK
    for diag in diags:
        print(diag.github() if args.format == "github" else diag.text(), file=sys.stderr)
    if errors:
        n_warn = len(diags) - len(errors)
        extra = f" and {n_warn} warning{'s' if n_warn != 1 else ''}" if n_warn else ""
        print(f"{len(errors)} error{'s' if len(errors) != 1 else ''}{extra}; nothing is valid "
              "until they are fixed.", file=sys.stderr)
        return EXIT_INVALID
    for env, counts in result.counts().items():
        total = sum(counts.values())
        detail = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        print(f"{args.path}: valid for {env}: {total} resources ({detail})")
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from reconciler.spec.schema import check_outputs, write_outputs

    if args.check:
        stale = check_outputs(args.out, args.docs)
        for path, why in stale:
            print(f"{path}: {why}; run `sagectl schema` and commit the result", file=sys.stderr)
        if stale:
            return EXIT_INVALID
        print(f"{args.out} and {args.docs} are up to date")
        return EXIT_OK
    for path in write_outputs(args.out, args.docs):
        print(f"wrote {path}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    specs = Path(args.specs)
    if not (specs / "environments").is_dir():
        print(f"sagectl: {specs} is not the example spec directory (no environments/ in it); "
              "run the demo from the repository root, or pass the path", file=sys.stderr)
        return EXIT_USAGE
    try:
        from reconciler.demo import run
    except ImportError as err:  # the emulator's dependencies are an extra
        print(f"sagectl: the demo needs the emulator extra: pip install "
              f"'sagemaker-gitops[emulator]' ({err})", file=sys.stderr)
        return EXIT_USAGE
    return run(specs, keep=Path(args.keep) if args.keep else None)


def _cmd_emulator_serve(args: argparse.Namespace) -> int:
    from sagemaker_emulator.cli import serve

    return serve(args, prog="sagectl emulator")


def _print_diagnostics(diags: list, fmt: str) -> None:
    for diag in diags:
        print(diag.github() if fmt == "github" else diag.text(), file=sys.stderr)


def _cmd_plan(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reconciler.aws import user_failure
    from reconciler.plan.context import PlanOptions
    from reconciler.plan.planner import make_plan
    from reconciler.plan.render import markdown, text
    from reconciler.spec.load import environment_names, load_specs
    from reconciler.targets import Target, open_aws

    envs = environment_names(args.path)
    if args.env is None and envs:
        print(f"sagectl: choose an environment with --env ({', '.join(envs)})", file=sys.stderr)
        return EXIT_USAGE
    specs = load_specs(args.path, args.env)
    if not specs.ok:
        _print_diagnostics(specs.report.sorted(), "text")
        print("the specs are invalid; nothing was planned", file=sys.stderr)
        return EXIT_INVALID
    _print_diagnostics(specs.report.warnings, "text")
    target = Target(emulator=args.emulator, profile=args.profile, region=args.region,
                    concurrency=args.concurrency)
    options = PlanOptions(prune=args.prune, state_table=args.state_table)
    try:
        with open_aws(specs, target) as aws:
            plan = make_plan(specs, aws, Path(args.path).resolve(), options)
    except Exception as err:
        print(f"sagectl: {user_failure(err)}", file=sys.stderr)
        return EXIT_INVALID
    if args.out:
        Path(args.out).write_text(plan.to_json(), encoding="utf-8")
    rendered = {"json": plan.to_json, "markdown": lambda: markdown.render(plan),
                "text": lambda: text.render(plan)}[args.format]()
    sys.stdout.write(rendered)
    if plan.errors:
        return EXIT_INVALID
    if args.detailed_exitcode:
        return 2 if plan.has_changes else EXIT_OK
    return EXIT_OK


def _add_aws_options(p: argparse.ArgumentParser) -> None:
    from reconciler.aws import DEFAULT_CONCURRENCY

    p.add_argument("--emulator", action="store_true",
                   help="use an embedded local SageMaker emulator (no AWS account): an empty "
                        "account, as the environment's accountId")
    p.add_argument("--profile", help="AWS profile (default: the standard AWS configuration)")
    p.add_argument("--region", help="AWS region (default: the environment's region)")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                   help=f"parallel AWS reads (default {DEFAULT_CONCURRENCY})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sagectl",
        description="GitOps for Amazon SageMaker: validate, plan and apply endpoint, autoscaling, "
                    "alarm, pipeline and model-registry specs.",
    )
    parser.add_argument("--version", action="version", version=f"sagectl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check spec files without calling AWS",
                       description="Check the specs offline: YAML, fields, SageMaker limits and "
                                   "references. Without --env, every environment is checked.")
    p.add_argument("path", nargs="?", default="specs", help="spec directory or file "
                                                            "(default: specs)")
    p.add_argument("--env", help="environment to validate (default: all of them)")
    p.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="text (default), json, or github (workflow annotations)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("plan", help="show what would change in AWS",
                       description="Read live AWS, compare it with the specs of one environment "
                                   "and show what apply would do. Exit codes: 0 success, 1 "
                                   "error; with --detailed-exitcode 0 no changes, 1 error, "
                                   "2 changes.")
    p.add_argument("path", nargs="?", default="specs", help="spec directory (default: specs)")
    p.add_argument("--env", help="environment to plan (required when the specs define some)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="text (default), json (the plan as data), or markdown (a PR comment)")
    p.add_argument("--out", help="also save the plan (JSON, with fingerprints) to this file")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when there are changes, 0 when there are none")
    p.add_argument("--state-table", default="sagectl-state",
                   help="DynamoDB table holding the environment's digest key, which keys the "
                        "digests of sensitive values (read only; default sagectl-state)")
    prune = p.add_mutually_exclusive_group()
    prune.add_argument("--prune", dest="prune", action="store_true", default=None,
                       help="plan deletions of owned resources that left the specs")
    prune.add_argument("--no-prune", dest="prune", action="store_false",
                       help="never plan deletions (default: the environment's prune setting)")
    _add_aws_options(p)
    p.set_defaults(func=_cmd_plan)

    from reconciler.cli_apply import add_parsers

    add_parsers(sub, _add_aws_options)

    from reconciler.cli_promote import add_parser as add_promote_parser

    add_promote_parser(sub, _add_aws_options)

    from reconciler.cli_import import add_parser as add_import_parser

    add_import_parser(sub, _add_aws_options)

    from reconciler.cli_iam import add_parser as add_iam_parser

    add_iam_parser(sub)

    from reconciler.cli_drift import add_parser as add_drift_parser

    add_drift_parser(sub, _add_aws_options)

    p = sub.add_parser("demo", help="the whole story on an embedded emulator, narrated (~1 min)",
                       description="Validate, plan and apply the example specs on an embedded "
                                   "emulator, then a weights-only change, a canary rolled back "
                                   "by its guardrail alarm, a hand edit found by drift, and its "
                                   "heal. Exits 0 only if every step behaved as expected.")
    p.add_argument("specs", nargs="?", default="specs",
                   help="the example spec directory (default: specs)")
    p.add_argument("--keep", metavar="DIR",
                   help="work in DIR (kept afterwards) instead of a temporary directory")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("schema", help="write (or check) the JSON Schemas and the spec reference",
                       description="Generate JSON Schemas for editors and the spec reference "
                                   "from the models.")
    p.add_argument("--out", default="schemas", help="schema directory (default: schemas)")
    p.add_argument("--docs", default="docs/spec-reference.md",
                   help="spec reference file (default: docs/spec-reference.md)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if the committed files differ from what would be generated")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("emulator", help="the local SageMaker emulator",
                       description="Run the local SageMaker emulator (moto plus SageMaker "
                                   "behaviour and fault injection).")
    emu = p.add_subparsers(dest="emulator_command", metavar="COMMAND", required=True)
    s = emu.add_parser("serve", help="serve the emulator on 127.0.0.1",
                       description=SERVE_DESCRIPTION)
    add_serve_arguments(s)
    s.set_defaults(func=_cmd_emulator_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:  # a bug, not a user mistake: say so, without a traceback
        print(f"sagectl: internal error: {type(err).__name__}: {err}\n"
              "This is a bug in sagectl; please report it with the command you ran. "
              "Set SAGECTL_DEBUG=1 for a traceback.", file=sys.stderr)
        import os

        if os.environ.get("SAGECTL_DEBUG"):
            raise
        return EXIT_INTERNAL
