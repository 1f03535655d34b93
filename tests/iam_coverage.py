"""pytest plugin: the IAM coverage check (registered by ``pytest_plugins`` in tests/conftest.py).

Over the whole session it records every AWS operation that sagectl makes (through
``reconciler.aws.add_call_observer``) and, when the session finishes, checks them against
``sagectl iam-policy --mode apply`` and, for reads (Describe, List, Get, BatchGet, Search, Query,
Scan), ``--mode plan``. Anything missing is printed and fails the session: add the operation to
the permissions of the kind that makes it (``Kind.permissions``; the engine's own operations are
in reconciler/iam/tables.py). Under pytest-xdist each worker records its own calls and the
controller reports on all of them. A run that saw fewer than ``MIN_OPERATIONS`` distinct operations (one
test file, ``-k``) is not a claim of coverage: the check is skipped with a note.

Only sagectl's own calls count. The test suite also uses sagectl's ``Aws`` class to set the
world up and look at it (create a model package, list schedules...); those calls are not
sagectl's and must not widen the policy. A call is sagectl's when the nearest caller outside
botocore, boto3 and reconciler/aws.py is code in reconciler/ (but not ``NOT_SAGECTL``: the
demo's stand-ins for AWS and for people), or one of ``APPLY_STAND_INS`` (test helpers
that run a plan's steps exactly as apply does). A call with no such caller is counted: better
a policy too wide by one action than a gap.
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import boto3
import botocore
import pytest

import reconciler
import reconciler.aws
from reconciler.aws import add_call_observer
from reconciler.cli.registry import KINDS
from reconciler.iam import Gap, assemble, coverage_gaps, granted, iam_action, is_read

MIN_OPERATIONS = 30
REPO = Path(__file__).resolve().parent.parent
_SAGECTL = str(Path(reconciler.__file__).resolve().parent) + os.sep
_LIBRARIES = (str(Path(botocore.__file__).resolve().parent) + os.sep,
              str(Path(boto3.__file__).resolve().parent) + os.sep)
_AWS_MODULE = str(Path(reconciler.aws.__file__).resolve())
NOT_SAGECTL = (_SAGECTL + "demo.py",)
"""Code under reconciler/ that plays AWS or the people around it, not sagectl (the emulator, which
plays AWS, is a package of its own: sagemaker_emulator/)."""
APPLY_STAND_INS = {("tests/plan/helpers.py", "run_as_written")}
"""(file, function) of test helpers that run a plan's AWS steps as written, as apply does."""
_POOL = (os.sep + "concurrent" + os.sep, os.sep + "threading.py")


def _caller(frame: FrameType | None) -> FrameType | None:
    while frame is not None:
        name = frame.f_code.co_filename
        if name != _AWS_MODULE and not name.startswith(_LIBRARIES):
            return frame
        frame = frame.f_back
    return None


def made_by_sagectl(frame: FrameType | None) -> bool:
    """Whether the AWS call being made under ``frame`` is sagectl's (see the module doc)."""
    caller = _caller(frame)
    if caller is None:
        return True
    name = caller.f_code.co_filename
    if name.startswith(_SAGECTL):
        return not name.startswith(NOT_SAGECTL)
    if any(part in name for part in _POOL):  # a pool worker running a client method itself
        return True
    try:
        rel = Path(name).resolve().relative_to(REPO).as_posix()
    except ValueError:
        return False
    return (rel, caller.f_code.co_name) in APPLY_STAND_INS


class Recorder:
    """The set of (service, operation) sagectl calls while it is active (thread-safe). A context
    manager; ``start``/``stop`` for the session."""

    def __init__(self) -> None:
        self._ops: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._remove: Callable[[], None] | None = None

    def _observe(self, service: str, operation: str) -> None:
        key = (service, operation)
        if key in self._ops:  # already known: no stack walk
            return
        if made_by_sagectl(sys._getframe(1)):
            with self._lock:
                self._ops.add(key)

    def start(self) -> Recorder:
        if self._remove is None:
            self._remove = add_call_observer(self._observe)
        return self

    def stop(self) -> None:
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def operations(self) -> set[tuple[str, str]]:
        with self._lock:
            return set(self._ops)


def sagectl_policy(*args: str) -> dict[str, Any]:
    """``sagectl iam-policy ARGS``, run in process, parsed."""
    from reconciler.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["iam-policy", *args])
    if code != 0:
        raise RuntimeError(f"sagectl iam-policy {' '.join(args)} exited {code}: {err.getvalue()}")
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def check(observed: set[tuple[str, str]], *args: str) -> list[Gap]:
    """The gaps of ``sagectl iam-policy ARGS --mode apply`` / ``--mode plan``."""
    return coverage_gaps(observed, sagectl_policy(*args, "--mode", "apply"),
                         sagectl_policy(*args, "--mode", "plan"), table=assemble(KINDS),
                         caller_policy=sagectl_policy(*args, "--caller"))


def report(observed: set[tuple[str, str]]) -> tuple[list[str], bool]:
    """(lines to print, whether the session must fail)."""
    if len(observed) < MIN_OPERATIONS:
        return [f"IAM coverage: skipped: {len(observed)} distinct AWS operations seen, fewer "
                f"than {MIN_OPERATIONS} (a partial run); nothing is claimed"], False
    gaps = check(observed)
    needing = {o for o in observed if iam_action(*o) is not None}
    reads = {o for o in needing if is_read(o[1])}
    by_service: dict[str, list[str]] = {}
    for service, operation in sorted(observed):
        by_service.setdefault(service, []).append(operation)
    lines = [f"IAM coverage: {len(observed)} distinct AWS operations made by sagectl "
             f"({len(needing)} need a permission, {len(reads)} of them reads)"]
    lines += [f"  {service}: {', '.join(ops)}" for service, ops in by_service.items()]
    unseen = sorted(f"{s}:{o}" for s, o in granted("apply", assemble(KINDS)) - observed)
    if unseen:
        lines.append(f"  in the policy, not seen in this run ({len(unseen)}): {', '.join(unseen)}")
    if gaps:
        lines.append(f"IAM coverage FAILED (the run exits 1): {len(gaps)} missing; add them "
                     "to the permissions of the kind that makes them (Kind.permissions):")
        lines += [f"  {gap}" for gap in gaps]
    else:
        lines.append("IAM coverage: passed: every operation is in `sagectl iam-policy --mode "
                     "apply`, every read in `--mode plan`, the caller's sts:AssumeRole in `--caller`")
    return lines, bool(gaps)


_session = Recorder()
_from_workers: set[tuple[str, str]] = set()
"""With pytest-xdist, what each worker's session recorded (the controller runs no test)."""
WORKER_KEY = "sagectl_iam_operations"


def pytest_configure(config: pytest.Config) -> None:
    _session.start()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """A pytest-xdist worker finished: keep what it recorded for the session's report."""
    _from_workers.update(tuple(op) for op in node.workeroutput.get(WORKER_KEY, []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _session.stop()
    if hasattr(session.config, "workerinput"):  # a pytest-xdist worker: the controller reports
        session.config.workeroutput[WORKER_KEY] = sorted(_session.operations)  # type: ignore[attr-defined]
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return
    lines, failed = report(_session.operations | _from_workers)
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_sep("-", "IAM coverage")
        for line in lines:
            terminal.write_line(line)
    else:
        print("\n".join(lines), file=sys.stderr)
    if failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
