"""``sagectl iam-policy``: print the least-privilege IAM policy for running sagectl.

Exit codes: 0 printed; 1 error (invalid specs, unknown environment, bad arguments); 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from reconciler.cli.common import EXIT_ERROR, EXIT_OK, examples


def _run(args: argparse.Namespace) -> int:
    from reconciler.cli.registry import KINDS
    from reconciler.iam import IamPolicyError, build_policy, policy_context

    try:
        ctx = policy_context(KINDS, args.path, args.env, args.state_table)
    except IamPolicyError as err:
        for diag in err.diagnostics:
            print(diag.text(), file=sys.stderr)
        print(f"sagectl: {err}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(build_policy(args.mode, ctx), indent=2))
    return EXIT_OK


def add_parser(sub: Any) -> None:
    """Register ``iam-policy`` on the ``sagectl`` subcommands."""
    from reconciler.defaults import DEFAULT_TABLE as DEFAULT_STATE_TABLE
    from reconciler.defaults import IAM_MODES as MODES

    p = sub.add_parser(
        "iam-policy", help="print a least-privilege IAM policy for running sagectl",
        description="Print the IAM policy (JSON) that sagectl needs: --mode plan is read-only "
                    "(plan, drift without heal, history), --mode apply adds every change. "
                    "Resources are scoped to the environment's account and region; with PATH "
                    "iam:PassRole and the S3 uploads are limited to the roles and buckets the "
                    "specs use, without it to patterns.",
        epilog=examples(
            "sagectl iam-policy specs --env prod                > plan-role-policy.json",
            "sagectl iam-policy specs --env prod --mode apply   > apply-role-policy.json",
            "sagectl iam-policy --env dev --mode apply          # patterns, any spec"))
    p.add_argument("path", nargs="?", default=None,
                   help="spec directory: take roles and buckets from its specs (default: "
                        "patterns that fit any spec)")
    p.add_argument("--env", metavar="ENV",
                   help="environment whose accountId and region scope the resources "
                                 "(without PATH, read from specs/environments/)")
    p.add_argument("--mode", choices=MODES, default="plan",
                   help="plan (default: read-only) or apply (plus the changes)")
    p.add_argument("--state-table", default=DEFAULT_STATE_TABLE, metavar="TABLE",
                   help=f"the apply state table (default {DEFAULT_STATE_TABLE})")
    p.set_defaults(func=_run)
