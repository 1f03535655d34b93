"""What the commands share: exit codes (declared once, here), diagnostics on stderr, the choice of
environment, and the option groups several commands take (AWS target, pruning)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

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


def add_aws_options(p: argparse.ArgumentParser) -> None:
    from reconciler.aws import DEFAULT_CONCURRENCY

    p.add_argument("--emulator", action="store_true",
                   help="use an embedded local SageMaker emulator (no AWS account): an empty "
                        "account, as the environment's accountId")
    p.add_argument("--profile", help="AWS profile (default: the standard AWS configuration)")
    p.add_argument("--region", help="AWS region (default: the environment's region)")
    p.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                   help=f"parallel AWS reads (default {DEFAULT_CONCURRENCY})")


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
