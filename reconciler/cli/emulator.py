"""``sagectl emulator serve``: the same command as ``sagemaker-emulator serve``."""

from __future__ import annotations

import argparse
from typing import Any

from sagemaker_emulator.cli import SERVE_DESCRIPTION, add_serve_arguments


def cmd_emulator_serve(args: argparse.Namespace) -> int:
    from sagemaker_emulator.cli import serve

    return serve(args, prog="sagectl emulator")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("emulator", help="the local SageMaker emulator",
                       description="Run the local SageMaker emulator (moto plus SageMaker "
                                   "behaviour and fault injection).")
    emu = p.add_subparsers(dest="emulator_command", metavar="COMMAND", required=True)
    s = emu.add_parser("serve", help="serve the emulator on 127.0.0.1",
                       description=SERVE_DESCRIPTION)
    add_serve_arguments(s)
    s.set_defaults(func=cmd_emulator_serve)
