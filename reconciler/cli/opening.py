"""Loading the specs of a read-only command (plan, drift) with AWS opened early.

AWS is opened as soon as the environment file is read, and the reads that need only the account
and region start while the rest of the specs load (``reconciler/plan/early.py``): the longest of
them bounds the plan's wall time. The specs' problems still come first: a failure to open AWS
early is set aside, and met again, at the same place as ever, only once the specs are valid.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import dataclass
from typing import Any

from reconciler.cli.common import EXIT_INVALID, EXIT_USAGE, environment_missing, print_diagnostics


@dataclass
class Opened:
    specs: Any
    """The valid ``SpecSet``."""
    aws: Any
    clock: Any
    early: Any
    """The ``EarlyReads`` started while the specs loaded (None: AWS was opened after them)."""


def load_and_open(args: argparse.Namespace, target: Any, stack: contextlib.ExitStack[Any],
                  nothing: str) -> Opened | int:
    """The specs of ``args.path`` for ``args.env`` and AWS opened for them (closed with
    ``stack``), or the exit code when the specs cannot be used (diagnostics printed, then
    ``the specs are invalid; <nothing>``)."""
    from reconciler.cli.registry import KINDS
    from reconciler.plan.early import EarlyReads
    from reconciler.spec.load import load_environment, load_specs
    from reconciler.targets import open_target

    early = None
    # not for the embedded emulator: it is empty (no long chain to start) and starting it
    # loads moto, seconds that invalid specs should not wait for
    environment = (load_environment(args.path, KINDS, args.env)
                   if args.env and not target.emulator else None)
    if environment is not None:
        opening = contextlib.ExitStack()
        try:
            aws, clock = opening.enter_context(open_target(environment, target))
            early = EarlyReads(aws, KINDS)
            stack.push(opening.pop_all())  # closed with the command, or when the specs are bad
        except Exception:  # set aside: met again below, after the specs
            opening.close()
    specs = load_specs(args.path, KINDS, args.env,
                       on_kind=early.kind_seen if early is not None else None)
    if environment_missing(specs, args.env):
        return EXIT_USAGE
    if not specs.ok:
        print_diagnostics(specs.report.sorted(), "text")
        print(f"the specs are invalid; {nothing}", file=sys.stderr)
        return EXIT_INVALID
    print_diagnostics(specs.report.warnings, "text")
    if early is None:
        aws, clock = stack.enter_context(open_target(specs.environment, target))
    return Opened(specs, aws, clock, early)
