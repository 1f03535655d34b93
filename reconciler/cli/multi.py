"""Several environments in one command: ``sagectl plan|drift|apply --env 'prod-*'`` (or
``--env dev,staging``, ``--env '*'``).

Each environment runs in its own ``sagectl`` process (``python -m reconciler ... --env NAME
--format json``), at most ``--parallel-envs`` at once: a slow account never blocks the others,
and a crash or an error in one is that environment's error, not the run's. The parent only
chooses the environments, starts the children, and renders their JSON as one report
(``multi_report.py``). ``--emulator`` starts one served emulator that every child talks to
(``SAGECTL_EMULATOR_URL``), so the environments' accounts and regions share one emulated AWS.

Exit codes of plan and drift over several environments: the highest error code of any
environment (1 error, 3 internal; a child that died counts as 1) if any failed; otherwise, with
``--detailed-exitcode``, 2 if any has changes (actionable drift), else 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from reconciler.cli.common import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    print_diagnostics,
)

DEFAULT_PARALLEL_ENVS = 4
EMULATOR_URL_VARIABLE = "SAGECTL_EMULATOR_URL"  # the same name as reconciler.targets'


@dataclass
class Child:
    """What one environment's ``sagectl`` process left: its exit code and its output."""

    env: str
    code: int
    out: str
    err: str


def add_parallel_envs_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--parallel-envs", type=int, default=None, metavar="N",
                   help="with several environments (--env 'prod-*' or a comma list): how many "
                        "run at once, each in its own sagectl process (default: min(4, their "
                        "number))")


def choose(args: argparse.Namespace) -> tuple[list[str] | None, Any, int]:
    """(the environments ``--env`` names when it is a list or pattern, their Selection, exit
    code if it names none). ``None``: one plain name (or none), handled as always; a list or
    pattern naming one environment sets ``args.env`` to it and is handled as always too."""
    from reconciler.cli.registry import KINDS
    from reconciler.spec.selection import is_selection, select

    if not is_selection(args.env):
        return None, None, EXIT_OK
    if args.path.lower().endswith(".json"):
        print("sagectl: a saved plan is one environment's: --env takes one name with it",
              file=sys.stderr)
        return None, None, EXIT_USAGE
    selection = select(args.path, KINDS, args.env)
    if selection.report.errors:
        print_diagnostics(selection.report.sorted(), "text")
        print("the environment files are invalid; nothing was done", file=sys.stderr)
        return None, selection, EXIT_ERROR
    if selection.error:
        print(f"sagectl: {selection.error}", file=sys.stderr)
        return None, selection, EXIT_ERROR
    if len(selection.names) == 1:
        args.env = selection.names[0]
        return None, selection, EXIT_OK
    return selection.names, selection, EXIT_OK


def common_options(args: argparse.Namespace, *names: str) -> list[str]:
    """The options of ``args`` a child repeats (``names``: attribute names; flags pass when
    set, values when given)."""
    out: list[str] = []
    for name in names:
        value = getattr(args, name, None)
        flag = "--" + name.replace("_", "-")
        if name == "prune":
            out += [] if value is None else ["--prune" if value else "--no-prune"]
        elif value is True:
            out.append(flag)
        elif value not in (None, False):
            out += [flag, str(value)]
    return out


def parallel_envs(args: argparse.Namespace, count: int) -> int:
    return max(1, min(args.parallel_envs or DEFAULT_PARALLEL_ENVS, count))


@contextmanager
def child_environment(args: argparse.Namespace) -> Iterator[dict[str, str]]:
    """The process environment of the children: with ``--emulator``, one served emulator for
    them all (the environments' accounts and regions apart in it, as in AWS)."""
    env = dict(os.environ)
    if not getattr(args, "emulator", False):
        yield env
        return
    from reconciler.targets import Target
    from sagemaker_emulator.server import EmulatorServer

    with EmulatorServer(port=0, time_factor=Target().time_factor) as url:
        env[EMULATOR_URL_VARIABLE] = url
        yield env


def run_one(env: str, argv: list[str], environ: dict[str, str]) -> Child:
    """``sagectl ARGV`` in its own process; a process that cannot start or dies is this
    environment's error."""
    try:
        done = subprocess.run([sys.executable, "-m", "reconciler", *argv], env=environ,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              check=False)
    except OSError as err:
        return Child(env, EXIT_ERROR, "", f"could not start sagectl: {err}")
    code = done.returncode
    err = done.stderr
    if code < 0:  # killed by a signal
        err += f"\nthe sagectl process of environment {env} was killed (signal {-code})"
        code = EXIT_ERROR
    return Child(env, code, done.stdout, err)


def run_all(jobs: dict[str, list[str]], parallel: int, environ: dict[str, str]
            ) -> dict[str, Child]:
    """Every job (environment -> argv) at most ``parallel`` at once; results in jobs' order."""
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="sagectl-env") as pool:
        futures = {env: pool.submit(run_one, env, argv, environ) for env, argv in jobs.items()}
        try:
            return {env: future.result() for env, future in futures.items()}
        except KeyboardInterrupt:  # Ctrl-C reached the children too: they stop themselves
            for future in futures.values():
                future.cancel()  # those still queued never start
            raise Interrupted({env: future.result() for env, future in futures.items()
                               if not future.cancelled()}) from None


class Interrupted(Exception):
    """Ctrl-C during ``run_all``: what the started children said as they stopped."""

    def __init__(self, children: dict[str, Child]) -> None:
        super().__init__("interrupted")
        self.children = children


def combined_code(codes: list[int], detailed: bool) -> int:
    """Plan and drift: the highest error code if any environment failed; else 2 (with
    ``--detailed-exitcode``) if any has changes; else 0."""
    errors = [c for c in codes if c not in (EXIT_OK, EXIT_CHANGES)]
    if errors:
        return max(errors)
    return EXIT_CHANGES if detailed and EXIT_CHANGES in codes else EXIT_OK


def run_reading(args: argparse.Namespace, command: str, names: list[str]) -> int:
    """``plan`` or ``drift`` over ``names``: one child each, one combined report."""
    from reconciler.cli import multi_report

    options = ["--format", "json", "--detailed-exitcode"]
    if command == "plan":
        options += common_options(args, "prune", "state_table")
        if args.out and "{env}" not in args.out:
            print("sagectl: --out with several environments saves one plan per environment: "
                  "write {env} in the file name (e.g. --out 'plan-{env}.json')", file=sys.stderr)
            return EXIT_USAGE
    else:
        if args.heal:
            print("sagectl: --heal changes AWS: heal one environment at a time (--env NAME)",
                  file=sys.stderr)
            return EXIT_USAGE
        options += common_options(args, "state_table")
    options += common_options(args, "profile", "region", "parallel")
    jobs = {}
    for env in names:
        extra = ["--out", args.out.replace("{env}", env)] if getattr(args, "out", None) else []
        jobs[env] = [command, args.path, "--env", env, *options, *extra]
    with child_environment(args) as environ:
        children = run_all(jobs, parallel_envs(args, len(names)), environ)
    for child in children.values():  # warnings; a failed one's stderr is in its report
        for line in child.err.splitlines() if child.code in (EXIT_OK, EXIT_CHANGES) else []:
            print(f"[{child.env}] {line}", file=sys.stderr)
    sys.stdout.write(multi_report.render(command, list(children.values()), args.format))
    return combined_code([c.code for c in children.values()], args.detailed_exitcode)
