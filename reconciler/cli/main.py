"""``sagectl``'s entry point. Commands only: parse arguments, call one stage, render, exit.

Exit codes: 0 success; 1 the input is invalid (or a check failed); 2 usage error; 3 internal error
(a bug: please report it with the message). ``apply`` adds 4 rolled back, 5 degraded, 6 not
applied, 130/143 stopped by SIGINT/SIGTERM (see ``apply.py`` and ``signals.py``). Exit codes
are declared once, in ``common.py``; each command is a module here with its ``add_parser``.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from reconciler import __version__
from reconciler.cli import (
    apply,
    completion,
    demo,
    drift,
    emulator,
    iam,
    imports,
    plan,
    promote,
    schema,
    show,
    validate,
)
from reconciler.cli.common import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, Parser

COMMANDS = (validate, plan, show, apply, promote, imports, iam, drift, demo, schema, emulator,
            completion)
"""The command modules, in the order ``sagectl --help`` lists them; each has ``add_parser``."""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sagectl",
        description="GitOps for Amazon SageMaker: validate, plan and apply endpoint, autoscaling, "
                    "alarm, pipeline and model-registry specs.",
    )
    parser.add_argument("--version", action="version", version=f"sagectl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    parser.set_defaults(main=main)  # for commands that run others (the demo): no import cycle
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    completion.autocomplete(parser)  # only when the shell asks (_ARGCOMPLETE): then it exits
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
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


def run() -> NoReturn:
    """The ``sagectl`` program: ``main``, then exit without a last garbage collection.

    Once a command has returned, everything is printed and every file closed; what is left is
    the interpreter's teardown, whose final collection walks every object the run made (some
    400,000 after a 1,000-endpoint plan: about 0.3 s of CPU, as much as a tenth of the plan).
    Frozen objects are skipped by it, and the process's memory goes back to the system anyway.
    ``atexit`` handlers still run. Tests call ``main``, which leaves the collector alone."""
    code = main()
    gc.freeze()
    sys.exit(code)
