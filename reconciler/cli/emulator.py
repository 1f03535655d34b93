"""``sagectl emulator serve``: the same command as ``sagemaker-emulator serve``."""

from __future__ import annotations

import argparse
from typing import Any

from reconciler.cli.common import examples
from sagemaker_emulator.cli import add_serve_command


def cmd_emulator_serve(args: argparse.Namespace) -> int:
    from sagemaker_emulator.cli import serve

    return serve(args, prog="sagectl emulator")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("emulator", help="the local SageMaker emulator",
                       description="Run the local SageMaker emulator (moto plus SageMaker "
                                   "behaviour and fault injection).",
                       epilog=examples(
                           "sagectl emulator serve --port 5055",
                           "AWS_ENDPOINT_URL=http://127.0.0.1:5055 aws sagemaker list-endpoints",
                           "SAGECTL_EMULATOR_URL=http://127.0.0.1:5055 sagectl plan specs --env "
                           "dev"))
    emu = p.add_subparsers(dest="emulator_command", metavar="COMMAND", required=True)
    add_serve_command(emu, cmd_emulator_serve)
    serve = emu.choices["serve"]
    serve.epilog = examples(
        "sagectl emulator serve                       # 127.0.0.1:5055, real time",
        "sagectl emulator serve --port 0 --time-factor 0.01",
        "SAGECTL_EMULATOR_URL=http://127.0.0.1:5055 sagectl apply specs --env dev")
