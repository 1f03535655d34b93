"""``sagemaker-emulator serve`` (and ``python -m sagemaker_emulator serve``): the emulator on one
port, for any boto3 program or CI job. ``sagectl emulator serve`` is the same command.

Exit codes: 0 stopped cleanly (Ctrl-C or SIGTERM), 1 cannot listen on the address, 2 usage (or
the emulator's dependencies are not installed).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

EXIT_OK, EXIT_LISTEN, EXIT_USAGE = 0, 1, 2
EXTRA = "pip install 'sagemaker-gitops[emulator]'"
"""How to install what the emulator needs (moto, Flask): the distribution's extra."""


def add_serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=5055, help="port (default 5055; 0 picks one)")
    p.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    p.add_argument("--time-factor", type=float, default=1.0,
                   help="real seconds per simulated second (default 1.0: real time; 0.01 makes "
                        "a 10-minute update take 6 s)")
    p.add_argument("--verbose", action="store_true", help="log every request")


SERVE_DESCRIPTION = ("Serve every emulated AWS service on one port. Point boto3 or the AWS CLI at "
                     "it with AWS_ENDPOINT_URL.")


def serve(args: argparse.Namespace, prog: str = "sagemaker-emulator") -> int:
    """Serve until Ctrl-C or SIGTERM; ``prog`` names the command in messages."""
    try:
        from sagemaker_emulator.server import EmulatorServer
    except ImportError as err:  # the emulator's dependencies are an extra
        print(f"{prog}: the emulator needs its extra: {EXTRA} ({err})", file=sys.stderr)
        return EXIT_USAGE
    if args.time_factor <= 0:
        print(f"{prog}: --time-factor must be positive", file=sys.stderr)
        return EXIT_USAGE
    server = EmulatorServer(args.host, args.port, args.time_factor, quiet=not args.verbose)
    try:
        url = server.start()
    except OSError as err:
        print(f"{prog}: cannot listen on {args.host}:{args.port}: {err.strerror}",
              file=sys.stderr)
        return EXIT_LISTEN
    print(f"{prog} listening on {url} (time factor {args.time_factor:g}: one simulated "
          f"second takes {args.time_factor:g} s)\n"
          f"  export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=testing "
          "AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1\n"
          "Press Ctrl-C to stop.", flush=True)

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)  # a supervisor's stop is as clean as Ctrl-C
    signal.signal(signal.SIGINT, _stop)   # even when started with SIGINT ignored (background)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return EXIT_OK


def add_serve_command(sub: argparse._SubParsersAction, run: Callable[[argparse.Namespace], int]
                      ) -> None:
    """The ``serve`` command under ``sub`` (this command line's, or ``sagectl emulator``'s)."""
    p = sub.add_parser("serve", help="serve the emulator on 127.0.0.1",
                       description=SERVE_DESCRIPTION)
    add_serve_arguments(p)
    p.set_defaults(func=run)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sagemaker-emulator",
        description="A local SageMaker (with Application Auto Scaling, CloudWatch, DynamoDB, "
                    "EventBridge and more): moto plus SageMaker's behaviour and fault injection.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_serve_command(sub, serve)
    args = parser.parse_args(argv)
    return int(args.func(args))
