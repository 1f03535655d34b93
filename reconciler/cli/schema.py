"""``sagectl schema``: write (or check) the JSON Schemas and the spec reference."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli.common import EXIT_INVALID, EXIT_OK, examples


def cmd_schema(args: argparse.Namespace) -> int:
    from reconciler.cli.registry import KINDS
    from reconciler.spec.schema import check_outputs, write_outputs

    if args.check:
        stale = check_outputs(KINDS, args.out, args.docs)
        for path, why in stale:
            print(f"{path}: {why}; run `sagectl schema` and commit the result", file=sys.stderr)
        if stale:
            return EXIT_INVALID
        print(f"{args.out} and {args.docs} are up to date")
        return EXIT_OK
    for path in write_outputs(KINDS, args.out, args.docs):
        print(f"wrote {path}")
    return EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("schema", help="write (or check) the JSON Schemas and the spec reference",
                       description="Generate JSON Schemas for editors and the spec reference "
                                   "from the models.",
                       epilog=examples("sagectl schema                # rewrite schemas/ and the "
                                       "reference",
                                       "sagectl schema --check        # in CI: exit 1 if stale"))
    p.add_argument("--out", default="schemas", metavar="DIR",
                   help="schema directory (default: schemas)")
    p.add_argument("--docs", default="docs/spec-reference.md", metavar="FILE",
                   help="spec reference file (default: docs/spec-reference.md)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 if the committed files differ from what would be generated")
    p.set_defaults(func=cmd_schema)
