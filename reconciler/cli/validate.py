"""``sagectl validate``: check the specs offline (exit 0 valid, 1 invalid, 2 usage)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from reconciler.cli.common import EXIT_INVALID, EXIT_OK, add_format_option, examples


def cmd_validate(args: argparse.Namespace) -> int:
    from reconciler.cli.registry import KINDS
    from reconciler.spec.load import validate

    result = validate(args.path, KINDS, args.env)
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


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check spec files without calling AWS",
                       description="Check the specs offline: YAML, fields, SageMaker limits and "
                                   "references. Without --env, every environment is checked. "
                                   "Exit codes: 0 valid, 1 invalid, 2 usage.",
                       epilog=examples(
                           "sagectl validate                       # specs/, every environment",
                           "sagectl validate specs --env prod",
                           "sagectl validate specs/endpoints/fraud.yaml --env dev  # one file",
                           "sagectl validate --format github        # annotations in a CI job"))
    p.add_argument("path", nargs="?", default="specs", help="spec directory or file "
                                                            "(default: specs)")
    p.add_argument("--env", metavar="ENV", help="environment to validate (default: all of them)")
    add_format_option(p, ("text", "json", "github"),
                      "text (default), json, or github (workflow annotations)")
    p.set_defaults(func=cmd_validate)
