"""``sagectl iam-policy``: print the least-privilege IAM policy for running sagectl.

Exit codes: 0 printed; 1 error (invalid specs, unknown environment, bad arguments); 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reconciler.cli.common import EXIT_ERROR, EXIT_OK, examples


def _role_policies(args: argparse.Namespace) -> int:
    """``--trust-policy`` (the environment roles' trust policy) and ``--caller`` (the caller's
    sts:AssumeRole), of the roles ``--mode`` chooses (none given: both): see
    reconciler/iam/trust.py."""
    from reconciler.cli.registry import KINDS
    from reconciler.iam import IamPolicyError
    from reconciler.iam.trust import caller_policy, environments, role_note, trust_policy

    note = None
    try:
        if args.trust_policy and args.env is None:
            raise IamPolicyError("--trust-policy is the trust policy of one environment's role: "
                                 "give --env ENV")
        if args.caller and args.path is None and args.env is None:
            policy = caller_policy(None)  # no specs: any role, a pattern
        else:
            envs = environments(KINDS, args.path or "specs", args.env)
            if args.trust_policy:
                policy = trust_policy(envs[0], args.principal or [], args.mode)
                note = role_note(envs[0], args.mode)
            else:
                policy = caller_policy(envs, args.mode)
    except IamPolicyError as err:
        for diag in err.diagnostics:
            print(diag.text(), file=sys.stderr)
        print(f"sagectl: {err}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(policy, indent=2))
    if note:
        print(f"sagectl: {note}", file=sys.stderr)
    return EXIT_OK


def _service_roles(args: argparse.Namespace) -> int:
    """``--service-roles``: the policies of the roles the specs hand to AWS services."""
    from reconciler.cli.registry import KINDS
    from reconciler.iam import IamPolicyError
    from reconciler.iam.roles import service_role_policies

    try:
        found = service_role_policies(KINDS, args.path, args.env)
    except IamPolicyError as err:
        for diag in err.diagnostics:
            print(diag.text(), file=sys.stderr)
        print(f"sagectl: {err}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(found, indent=2))
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.trust_policy or args.caller:
        return _role_policies(args)
    if args.service_roles:
        return _service_roles(args)
    if args.principal:
        print("sagectl: --principal goes with --trust-policy", file=sys.stderr)
        return EXIT_ERROR
    from reconciler.cli.registry import KINDS
    from reconciler.iam import IamPolicyError, build_policy, policy_context
    from reconciler.iam.split import INLINE_ROLE_POLICY_CHARS, MANAGED_POLICY_CHARS, size

    try:
        ctx = policy_context(KINDS, args.path, args.env, args.state_table)
    except IamPolicyError as err:
        for diag in err.diagnostics:
            print(diag.text(), file=sys.stderr)
        print(f"sagectl: {err}", file=sys.stderr)
        return EXIT_ERROR
    mode = args.mode or "plan"
    policy = build_policy(mode, ctx)
    if args.split is None:
        print(json.dumps(policy, indent=2))
        if size(policy) > MANAGED_POLICY_CHARS:
            print(f"sagectl: warning: this policy is {size(policy):,} characters (without white "
                  f"space): over the {MANAGED_POLICY_CHARS:,} of a managed policy. Use it as a "
                  f"role's inline policy (up to {INLINE_ROLE_POLICY_CHARS:,} for all of them), "
                  "or write it as several managed policies with --split DIR", file=sys.stderr)
        return EXIT_OK
    return _write_split(policy, Path(args.split), mode)


def _write_split(policy: dict[str, Any], directory: Path, mode: str) -> int:
    """``--split DIR``: the policy as managed policies, ``sagectl-<mode>-<n>.json``."""
    from reconciler.iam.split import MANAGED_POLICIES_PER_ROLE, size, split

    try:
        documents = split(policy)
    except ValueError as err:
        print(f"sagectl: cannot split the policy: {err}", file=sys.stderr)
        return EXIT_ERROR
    if directory.exists() and not directory.is_dir():
        print(f"sagectl: --split {directory}: not a directory", file=sys.stderr)
        return EXIT_ERROR
    directory.mkdir(parents=True, exist_ok=True)
    stale = sorted(directory.glob(f"sagectl-{mode}-*.json"))
    for old in stale:  # a smaller policy than last time must not leave a document behind
        old.unlink()
    for n, document in enumerate(documents, 1):
        path = directory / f"sagectl-{mode}-{n}.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        print(f"{path}  ({size(document):,} characters, {len(document['Statement'])} "
              "statements)")
    if len(documents) > MANAGED_POLICIES_PER_ROLE:
        print(f"sagectl: warning: {len(documents)} managed policies: a role takes "
              f"{MANAGED_POLICIES_PER_ROLE} by default (20 with a quota increase)",
              file=sys.stderr)
    return EXIT_OK


def add_parser(sub: Any) -> None:
    """Register ``iam-policy`` on the ``sagectl`` subcommands."""
    from reconciler.defaults import DEFAULT_TABLE as DEFAULT_STATE_TABLE
    from reconciler.defaults import IAM_MODES as MODES

    p = sub.add_parser(
        "iam-policy", help="print a least-privilege IAM policy for running sagectl",
        description="Print the IAM policy (JSON) that sagectl needs: --mode plan is read-only "
                    "(plan, drift without heal, import without adopt, promote, history), --mode "
                    "apply adds every change. Resources are scoped to the environment's account "
                    "and region; with PATH iam:PassRole and the S3 uploads are limited to the "
                    "roles and buckets the specs use, without it to patterns. An environment "
                    "with roles: --mode plan is planRoleArn's policy, --mode apply "
                    "assumeRoleArn's (which also plans when there is no planRoleArn); "
                    "--trust-policy prints the roles' trust policy, --caller what the caller "
                    "needs to assume them (--mode plan or apply: that role only). --service-roles "
                    "prints the policies of the roles the specs hand to AWS services (an "
                    "ApprovalTrigger's roleArn).",
        epilog=examples(
            "sagectl iam-policy specs --env prod                > plan-role-policy.json",
            "sagectl iam-policy specs --env prod --mode apply   > apply-role-policy.json",
            "sagectl iam-policy specs --env prod --trust-policy --mode plan --principal "
            "arn:aws:iam::111111111111:role/sagectl-ci-plan   # planRoleArn's trust policy",
            "sagectl iam-policy specs --caller                  # the caller's sts:AssumeRole"))
    p.add_argument("path", nargs="?", default=None,
                   help="spec directory: take roles and buckets from its specs (default: "
                        "patterns that fit any spec)")
    p.add_argument("--env", metavar="ENV",
                   help="environment whose accountId and region scope the resources "
                                 "(without PATH, read from specs/environments/)")
    p.add_argument("--mode", choices=MODES, default=None,
                   help="plan (default: read-only; planRoleArn's policy) or apply (plus the "
                        "changes; assumeRoleArn's); with --trust-policy or --caller: that "
                        "role only (default: both)")
    p.add_argument("--state-table", default=DEFAULT_STATE_TABLE, metavar="TABLE",
                   help=f"the apply state table (default {DEFAULT_STATE_TABLE})")
    p.add_argument("--split", metavar="DIR",
                   help="write the policy as managed policies of at most 6,144 characters each "
                        "(DIR/sagectl-MODE-N.json; earlier ones of the mode are replaced) "
                        "instead of printing one document")
    roles = p.add_mutually_exclusive_group()
    roles.add_argument("--trust-policy", action="store_true",
                       help="instead: the trust policy of the environment's planRoleArn and "
                            "assumeRoleArn roles, or of --mode's one (needs --env and "
                            "--principal; with its externalId as an sts:ExternalId condition; "
                            "stderr says which roles it is for)")
    roles.add_argument("--caller", action="store_true",
                       help="instead: the caller's policy, sts:AssumeRole on the roles "
                            "(planRoleArn, assumeRoleArn; --mode: that one) of the environment "
                            "(--env) or of every environment that names one (without PATH and "
                            "--env: any role)")
    roles.add_argument("--service-roles", action="store_true",
                       help="instead: the permission and trust policies of the roles the specs "
                            "hand to AWS services for what sagectl sets up whole (an "
                            "ApprovalTrigger's roleArn); needs PATH")
    p.add_argument("--principal", action="append", metavar="ARN_OR_ACCOUNT",
                   help="with --trust-policy: who runs sagectl (the CI role's ARN, or an "
                        "account id); repeatable")
    p.set_defaults(func=_run)
