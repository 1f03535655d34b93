"""``sagectl completion bash|zsh``: shell completion with argcomplete.

``eval "$(sagectl completion bash)"`` (or zsh) in the shell's rc file completes commands,
options, their choices, and ``--env`` from the environment files of the spec tree on the line
(``specs/`` by default). argcomplete runs sagectl itself with ``_ARGCOMPLETE`` set; only then is
it imported (``autocomplete``), so ordinary start-up does not pay for it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from reconciler.cli.common import EXIT_OK, examples

SHELLS = ("bash", "zsh")


def environments(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    """The environment names of the spec tree the command line names (file names under
    ``environments/``: no YAML is parsed while the user waits for a completion)."""
    root = Path(getattr(parsed_args, "path", None) or "specs")
    if root.is_file():
        root = root.parent
    env_dir = root / "environments"
    names = sorted({f.stem for f in env_dir.glob("*.y*ml")}) if env_dir.is_dir() else []
    return [n for n in names if n.startswith(prefix)]


def _every_action(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    found = []
    for action in parser._actions:
        found.append(action)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(_every_action(child))
    return found


def autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request and exit, when the shell asked for one (``_ARGCOMPLETE``);
    otherwise nothing (argcomplete is not even imported)."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    import argcomplete

    for action in _every_action(parser):
        if action.dest == "env":
            action.completer = environments  # type: ignore[attr-defined]
    argcomplete.autocomplete(parser)


def cmd_completion(args: argparse.Namespace) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["sagectl"], shell=args.shell))
    return EXIT_OK


def add_parser(sub: Any) -> None:
    p = sub.add_parser("completion", help="print the shell completion script (bash or zsh)",
                       description="Print the script that makes the shell complete sagectl's "
                                   "commands, options and --env (from the spec tree's "
                                   "environments). Source it from the shell's rc file.",
                       epilog=examples(
                           "eval \"$(sagectl completion bash)\"     # in ~/.bashrc",
                           "eval \"$(sagectl completion zsh)\"      # in ~/.zshrc",
                           "sagectl completion bash > /etc/bash_completion.d/sagectl"))
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash or zsh")
    p.set_defaults(func=cmd_completion)
