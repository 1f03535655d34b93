"""``sagectl demo``: the narrated story on an embedded emulator (``reconciler/demo.py``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli.common import EXIT_USAGE, examples


def cmd_demo(args: argparse.Namespace) -> int:
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
    return run(specs, args.main, keep=Path(args.keep) if args.keep else None)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="the whole story on an embedded emulator, narrated (~1 min)",
                       description="Validate, plan and apply the example specs on an embedded "
                                   "emulator, then a weights-only change, a canary rolled back "
                                   "by its guardrail alarm, a hand edit found by drift, and its "
                                   "heal. Exits 0 only if every step behaved as expected.",
                       epilog=examples("sagectl demo",
                                       "sagectl demo specs --keep /tmp/demo   # look around after"))
    p.add_argument("specs", nargs="?", default="specs",
                   help="the example spec directory (default: specs)")
    p.add_argument("--keep", metavar="DIR",
                   help="work in DIR (kept afterwards) instead of a temporary directory")
    p.set_defaults(func=cmd_demo)
