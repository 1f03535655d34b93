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

Stopping: a terminal's Ctrl-C reaches the whole process group, so every child gets it itself.
A SIGTERM (what a CI system sends to cancel a job) reaches the parent only: the parent forwards
it to the children it started, starts no more, waits for them to stop (an apply stops cleanly
and resumably: ``signals.py``), reports what they said and exits 143. Interrupted plan and
drift print which environments finished.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
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
EMULATOR_URL_VARIABLE = "SAGECTL_EMULATOR_URL"  # the same names as reconciler.targets'
EMBEDDED_VARIABLE = "SAGECTL_EMULATOR_EMBEDDED"


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
        env[EMBEDDED_VARIABLE] = "1"  # it stands for every environment's account: no roles
        yield env


class _Running:
    """The children of one ``run_all``, and the SIGTERM that stops them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.procs: set[subprocess.Popen[str]] = set()
        self.signum: int | None = None

    def start(self, argv: list[str], environ: dict[str, str]) -> subprocess.Popen[str] | None:
        """The child, or None once a stop was asked (it never starts)."""
        with self.lock:
            if self.signum is not None:
                return None
            proc = subprocess.Popen([sys.executable, "-m", "reconciler", *argv], env=environ,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    stdin=subprocess.DEVNULL)
            self.procs.add(proc)
            return proc

    def done(self, proc: subprocess.Popen[str]) -> None:
        with self.lock:
            self.procs.discard(proc)

    def forward(self, signum: int, frame: Any) -> None:
        """The signal handler (main thread): pass the signal on to every running child."""
        first = self.signum is None
        self.signum = self.signum or signum
        with self.lock:  # held only briefly by workers, never by the main thread
            procs = list(self.procs)
        if first:
            os.write(2, (f"sagectl: {signal.Signals(signum).name} received: passed on to the "
                         f"{len(procs)} running environment(s); no other environment starts\n"
                         ).encode())
        for proc in procs:
            with suppress(OSError):  # it has just exited
                proc.send_signal(signum)

    def note(self, signum: int, frame: Any) -> None:
        """SIGINT (main thread): a terminal's Ctrl-C reached the running children too (one
        process group), so it is not passed on (a second SIGINT makes an apply exit at once);
        no other environment starts, and the run stops once they have. A second Ctrl-C
        interrupts at once."""
        if self.signum is not None:
            raise KeyboardInterrupt
        self.signum = signum
        os.write(2, b"sagectl: SIGINT received: the running environments stop themselves; no "
                    b"other environment starts\n")

    @contextmanager
    def forwarding(self) -> Iterator[None]:
        """Inside: SIGTERM is passed on, SIGINT noted. Installed whatever the signals'
        inherited handling (e.g. ignored by a shell's background job), as each child's apply
        installs its own: the parent stops with its children, never after them."""
        if threading.current_thread() is not threading.main_thread():
            yield  # signals are handled in the main thread only
            return
        previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, self.forward),
                    signal.SIGINT: signal.signal(signal.SIGINT, self.note)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def run_one(env: str, argv: list[str], environ: dict[str, str],
            running: _Running | None = None) -> Child | None:
    """``sagectl ARGV`` in its own process; a process that cannot start or dies is this
    environment's error. None: not started, because the run was asked to stop."""
    running = running or _Running()
    try:
        proc = running.start(argv, environ)
    except OSError as err:
        return Child(env, EXIT_ERROR, "", f"could not start sagectl: {err}")
    if proc is None:
        return None
    try:
        out, err = proc.communicate()
    finally:
        running.done(proc)
    code = proc.returncode
    if code < 0:  # killed by a signal
        err += f"\nthe sagectl process of environment {env} was killed (signal {-code})"
        code = EXIT_ERROR
    return Child(env, code, out, err)


def run_all(jobs: dict[str, list[str]], parallel: int, environ: dict[str, str]
            ) -> dict[str, Child]:
    """Every job (environment -> argv) at most ``parallel`` at once; results in jobs' order.
    Stopped (Ctrl-C, or a SIGTERM passed on to the children): ``Interrupted`` with what the
    children that had started said."""
    running = _Running()
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="sagectl-env") as pool, \
            running.forwarding():
        futures = {env: pool.submit(run_one, env, argv, environ, running)
                   for env, argv in jobs.items()}
        try:
            results = {env: future.result() for env, future in futures.items()}
        except KeyboardInterrupt:  # a second Ctrl-C: the children exit at once too
            for future in futures.values():
                future.cancel()  # those still queued never start
            raise Interrupted({env: child for env, future in futures.items()
                               if not future.cancelled()
                               and (child := future.result()) is not None},
                              signal.SIGINT) from None
    children = {env: child for env, child in results.items() if child is not None}
    if running.signum is not None:
        raise Interrupted(children, running.signum)
    return children


class Interrupted(Exception):
    """``run_all`` stopped by Ctrl-C or SIGTERM: what the started children said as they
    stopped."""

    def __init__(self, children: dict[str, Child], signum: int = signal.SIGINT) -> None:
        super().__init__("interrupted")
        self.children = children
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def by(self) -> str:
        return "Ctrl-C" if self.signum == signal.SIGINT else signal.Signals(self.signum).name


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
        try:
            children = run_all(jobs, parallel_envs(args, len(names)), environ)
        except Interrupted as stopped:
            for child in stopped.children.values():
                print(f"[{child.env}] exit {child.code}", file=sys.stderr)
            print(f"sagectl: {command} stopped by {stopped.by}: no combined report "
                  f"({len(stopped.children)} of {len(names)} environments had started)",
                  file=sys.stderr)
            return stopped.exit_code
    for child in children.values():  # warnings; a failed one's stderr is in its report
        for line in child.err.splitlines() if child.code in (EXIT_OK, EXIT_CHANGES) else []:
            print(f"[{child.env}] {line}", file=sys.stderr)
    sys.stdout.write(multi_report.render(command, list(children.values()), args.format))
    return combined_code([c.code for c in children.values()], args.detailed_exitcode)
