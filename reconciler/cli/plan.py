"""``sagectl plan``: read live AWS, compare it with one environment's specs, show the plan."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from reconciler.cli import multi
from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_INVALID,
    EXIT_OK,
    add_aws_options,
    add_format_option,
    add_prune_options,
    examples,
    read_parallel,
)


def cmd_plan(args: argparse.Namespace) -> int:
    from pathlib import Path

    from reconciler.aws import user_failure
    from reconciler.cli.opening import load_and_open
    from reconciler.plan.context import PlanOptions
    from reconciler.plan.planner import make_plan
    from reconciler.plan.render import markdown, text
    from reconciler.targets import Target

    names, _, code = multi.choose(args)
    if code:
        return code
    if names:
        return multi.run_reading(args, "plan", names)
    if Path(args.path).is_file() and args.path.lower().endswith(".json"):
        print(f"sagectl: {args.path} is a file, not a spec directory: plan reads specs. To see "
              f"a saved plan: sagectl show {args.path}; to apply it: sagectl apply {args.path}",
              file=sys.stderr)
        return EXIT_INVALID
    target = Target(emulator=args.emulator, profile=args.profile, region=args.region,
                    concurrency=read_parallel(args), read_only=True)  # planRoleArn
    options = PlanOptions(prune=args.prune, state_table=args.state_table)
    with contextlib.ExitStack() as stack:
        try:
            opened = load_and_open(args, target, stack, "nothing was planned")
            if isinstance(opened, int):
                return opened
            plan = make_plan(opened.specs, opened.aws, Path(args.path).resolve(), options,
                             opened.early)
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
        return EXIT_CHANGES if plan.has_changes else EXIT_OK
    return EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plan", help="show what would change in AWS",
                       description="Read live AWS, compare it with the specs of one environment "
                                   "and show what apply would do. Exit codes: 0 success, 1 "
                                   "error; with --detailed-exitcode 0 no changes, 1 error, "
                                   "2 changes.",
                       epilog=examples(
                           "sagectl plan specs --env dev",
                           "sagectl plan specs --env prod --out plan.json   # then: sagectl apply "
                           "plan.json",
                           "sagectl plan specs --env dev --emulator          # no AWS account",
                           "sagectl plan specs --env '*' --format markdown   # one PR comment, "
                           "every environment"))
    p.add_argument("path", nargs="?", default="specs", help="spec directory (default: specs)")
    p.add_argument("--env", metavar="ENV",
                   help="environment to plan (required when the specs define some); a comma "
                        "list or shell patterns plan several at once, one combined report "
                        "(--env 'prod-*', --env dev,staging, --env '*')")
    multi.add_parallel_envs_option(p)
    add_format_option(p, ("text", "json", "markdown"),
                      "text (default), json (the plan as data), or markdown (a PR comment)")
    p.add_argument("--out", metavar="FILE",
                   help="also save the plan (JSON, with fingerprints) to this file; with several "
                        "environments, write {env} in the name: one file each")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when there are changes, 0 when there are none")
    p.add_argument("--state-table", default="sagectl-state", metavar="TABLE",
                   help="DynamoDB table holding the environment's digest key, which keys the "
                        "digests of sensitive values (read only; default sagectl-state)")
    add_prune_options(p, planning=True)
    add_aws_options(p)
    p.set_defaults(func=cmd_plan)
