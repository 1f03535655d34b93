"""``sagectl emulator serve``: the same command as ``sagemaker-emulator serve``."""

from __future__ import annotations

import argparse
from typing import Any

from sagemaker_emulator.cli import add_serve_command


def cmd_emulator_serve(args: argparse.Namespace) -> int:
    from sagemaker_emulator.cli import serve

    return serve(args, prog="sagectl emulator")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("emulator", help="the local SageMaker emulator",
                       description="Run the local SageMaker emulator (moto plus SageMaker "
                                   "behaviour and fault injection).")
    emu = p.add_subparsers(dest="emulator_command", metavar="COMMAND", required=True)
    add_serve_command(emu, cmd_emulator_serve)
