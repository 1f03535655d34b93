"""``sagectl show PLANFILE``: render a plan saved with ``plan --out``, like ``terraform show``.

The file is read as untrusted input (``plan.saved.load_plan``): anything that is not a plan this
sagectl saved is one located error (exit 1), never a traceback. Nothing talks to AWS.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli.common import EXIT_ERROR, EXIT_OK, add_format_option, examples


def cmd_show(args: argparse.Namespace) -> int:
    from reconciler.cli.registry import KINDS
    from reconciler.plan.render import markdown, text
    from reconciler.plan.saved import NotAPlan, load_plan

    try:
        plan = load_plan(args.planfile, KINDS)
    except NotAPlan as err:
        print(f"sagectl: {err.located(args.planfile)}", file=sys.stderr)
        return EXIT_ERROR
    rendered = {"json": plan.to_json, "markdown": lambda: markdown.render(plan),
                "text": lambda: text.render(plan)}[args.format]()
    sys.stdout.write(rendered)
    return EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("show", help="show a plan saved with plan --out",
                       description="Render a plan saved with `sagectl plan --out FILE` the way "
                                   "plan shows it, without reading AWS. Exit codes: 0 shown, 1 "
                                   "not a saved plan, 2 usage.",
                       epilog=examples(
                           "sagectl plan specs --env prod --out plan.json && sagectl show "
                           "plan.json",
                           "sagectl show plan.json --format markdown   # a PR comment",
                           "sagectl show plan.json --format json       # the plan as data"))
    p.add_argument("planfile", metavar="PLANFILE", help="a plan saved with sagectl plan --out")
    add_format_option(p, ("text", "markdown", "json"),
                      "text (default), markdown (a PR comment) or json (the plan as data)")
    p.set_defaults(func=cmd_show)
