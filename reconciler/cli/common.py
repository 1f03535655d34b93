"""What the commands share: exit codes (declared once, here), diagnostics on stderr, the choice of
environment, the parser (did-you-mean suggestions, examples in the epilog) and the option groups
several commands take (AWS target, parallelism, output format, pruning).

Nothing here imports boto3 or the spec models: ``sagectl --help`` and ``sagectl validate`` start
without the AWS machinery (see bench/startup_bench.py)."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from reconciler.spec.resources import SpecSet

EXIT_OK = 0
"""Success (plan, drift: nothing to report unless --detailed-exitcode says otherwise)."""
EXIT_ERROR = 1
"""The input is invalid, AWS refused or failed, a check failed, a change failed."""
EXIT_INVALID = EXIT_ERROR
EXIT_USAGE = 2
"""A usage error (arguments, a missing --env)."""
EXIT_CHANGES = 2
"""``plan --detailed-exitcode``: there are changes."""
EXIT_DRIFT = 2
"""``drift --detailed-exitcode``: there is actionable drift."""
EXIT_INTERNAL = 3
"""A bug in sagectl (reported without a traceback unless SAGECTL_DEBUG=1)."""
EXIT_ROLLED_BACK = 4
"""``apply``: something failed and its resource was returned to its last known good state."""
EXIT_DEGRADED = 5
"""``apply``: AWS left an endpoint Failed or UpdateRollbackFailed: a human must act."""
EXIT_NOT_APPLIED = 6
"""``apply``: a change waits (busy, leased by another run, quarantined, a dependency)."""
EXIT_INTERRUPTED = 130


def print_diagnostics(diags: list[Any], fmt: str = "text") -> None:
    """Each diagnostic on stderr: ``file:line:column: severity: path: message`` or a GitHub
    workflow annotation (``fmt="github"``)."""
    for diag in diags:
        print(diag.github() if fmt == "github" else diag.text(), file=sys.stderr)


def environment_missing(specs: SpecSet, env: str | None) -> bool:
    """True (and said on stderr) when the specs (as loaded, for ``env``) define environments and
    none was chosen with ``--env``: the caller exits ``EXIT_USAGE``."""
    if env is None and specs.environments:
        print(f"sagectl: choose an environment with --env ({', '.join(specs.environments)})",
              file=sys.stderr)
        return True
    return False


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice ``word`` was probably meant to be (``difflib``), or None."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """``"; did you mean 'X'?"`` or the empty string."""
    found = closest(word, choices)
    return f"; did you mean {found!r}?" if found else ""


class Parser(argparse.ArgumentParser):
    """``argparse`` with suggestions: an unknown command or option names the closest one
    (Python 3.11's argparse does not). Sub-parsers are of this class too (argparse creates them
    with the parent's class). Every command's parser keeps its epilog as written
    (``RawDescriptionHelpFormatter``): the examples are laid out by hand."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            # the options of the command that was chosen (argparse reports extras on the root)
            command = self._subcommand(getattr(ns, "command", None))
            options = command._option_string_actions if command else self._option_string_actions
            hint = ""
            for extra in extras:
                if extra.startswith("-"):
                    hint = did_you_mean(extra.split("=", 1)[0],
                                        [o for o in options if o.startswith("--")])
                    break
            target = command or self
            target.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
        return ns

    def _subcommand(self, name: str | None) -> argparse.ArgumentParser | None:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and name in action.choices:
                return action.choices[name]  # type: ignore[no-any-return]
        return None

    def error(self, message: str) -> NoReturn:
        if "invalid choice: " in message and "(choose from" in message:
            wrong = message.split("invalid choice: ", 1)[1].split(" (choose from", 1)[0]
            wrong = wrong.strip("'\"")
            choices = [c.strip(" '\"") for c in
                       message.rsplit("(choose from", 1)[1].rstrip(")").split(",")]
            message += did_you_mean(wrong, choices)
        super().error(message)


def examples(*lines: str) -> str:
    """An epilog of examples, one ``command  # what it does`` per item."""
    return "examples:\n" + "".join(f"  {line}\n" for line in lines)


class _Deprecated(argparse.Action):
    """A hidden old spelling of an option: still works, says which one to use instead."""

    def __init__(self, *args: Any, instead: str, **kwargs: Any) -> None:
        self.instead = instead
        super().__init__(*args, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"sagectl: {option_string} is deprecated; use {self.instead}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_parallel_option(p: argparse.ArgumentParser, changes: bool) -> None:
    """``--parallel N``: the one name for how much sagectl does at once (``--concurrency``, its
    old name on the reading commands, still works and says so). Reading commands: AWS reads at
    once (default 16). Commands that change things (``changes``): independent changes at once
    (default 64), and AWS reads at once when given."""
    if changes:
        text = ("independent changes at once, and AWS reads at once (default: 64 changes, "
                "16 reads; waiting is cheap and each endpoint has its own guardrails)")
    else:
        text = "AWS reads at once (default 16)"
    p.add_argument("--parallel", type=int, default=None, metavar="N", help=text)
    p.add_argument("--concurrency", type=int, dest="parallel", action=_Deprecated,
                   instead="--parallel", help=argparse.SUPPRESS)


def read_parallel(args: argparse.Namespace) -> int:
    """The AWS read pool's size: ``--parallel``, or the default."""
    from reconciler.aws import DEFAULT_CONCURRENCY

    return args.parallel or DEFAULT_CONCURRENCY


class _Format(argparse.Action):
    """``--format F``, and ``--json`` (its alias where it existed): both set ``format`` and
    ``json`` (True for JSON), so a command reads either."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        value = "json" if option_string == "--json" else values
        namespace.format, namespace.json = value, value == "json"


def add_format_option(p: argparse.ArgumentParser, choices: Sequence[str], help: str,
                      json_alias: str | None = None) -> None:
    """``--format`` (default: the first choice), plus ``--json`` where it is an old spelling
    (``json_alias``: its help)."""
    p.add_argument("--format", choices=choices, default=choices[0], action=_Format, help=help)
    if json_alias:
        p.add_argument("--json", nargs=0, action=_Format, help=json_alias)
    p.set_defaults(json=False)


def add_aws_options(p: argparse.ArgumentParser, changes: bool = False) -> None:
    """Where to talk to, and how much at once. The environment file decides the account and the
    region: ``--profile`` and ``--region`` choose credentials, and must agree with it."""
    p.add_argument("--emulator", action="store_true",
                   help="use an embedded local SageMaker emulator (no AWS account): an empty "
                        "account, as the environment's accountId")
    p.add_argument("--profile", metavar="NAME",
                   help="AWS profile (default: the standard AWS configuration, AWS_PROFILE); its "
                        "account must be the environment's accountId")
    p.add_argument("--region", metavar="REGION",
                   help="AWS region (default: the environment's region; when the environment "
                        "has one, a different --region is an error)")
    add_parallel_option(p, changes)


def add_prune_options(p: argparse.ArgumentParser, planning: bool) -> None:
    """``--prune`` / ``--no-prune`` (default: the environment's ``prune`` setting), worded for a
    command that plans deletions (``planning``) or makes them."""
    does, never = (("plan deletions of", "never plan deletions") if planning
                   else ("delete", "never delete"))
    prune = p.add_mutually_exclusive_group()
    prune.add_argument("--prune", dest="prune", action="store_true", default=None,
                       help=f"{does} owned resources that left the specs")
    prune.add_argument("--no-prune", dest="prune", action="store_false",
                       help=f"{never} (default: the environment's prune setting)")
