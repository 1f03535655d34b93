"""``sagectl drift``: compare live AWS with the specs and classify every difference.

Exit codes: 0 no actionable drift (informational classes, `autoscaler` and `system`, never count);
with --detailed-exitcode, 2 when actionable drift exists (after healing, when --heal is given);
1 error (invalid specs, AWS errors); 2 usage. With --heal, a heal that rolled back or left an
endpoint degraded exits 4 or 5 like apply.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from reconciler.cli import multi
from reconciler.cli.common import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_OK,
    add_aws_options,
    add_format_option,
    examples,
    read_parallel,
)


def cmd_drift(args: argparse.Namespace) -> int:
    from reconciler.apply.context import DEFAULT_PARALLEL, ApplyContext, ApplyOptions, Events
    from reconciler.apply.state import StateTable, new_run_id, run_owner
    from reconciler.aws import user_failure
    from reconciler.cli.apply import EXIT_BY_OUTCOME, _load
    from reconciler.cli.opening import load_and_open
    from reconciler.drift.run import drift, drift_and_heal
    from reconciler.plan.context import git_commit
    from reconciler.targets import Target, open_target

    names, _, code = multi.choose(args)
    if code:
        return code
    if names:
        return multi.run_reading(args, "drift", names)
    root = Path(args.path).resolve()
    target = Target(emulator=args.emulator, profile=args.profile, region=args.region,
                    concurrency=read_parallel(args), read_only=not args.heal)
    if not args.heal:  # read-only: AWS opened early, as plan does
        try:
            with contextlib.ExitStack() as stack:
                opened = load_and_open(args, target, stack, "nothing was compared")
                if isinstance(opened, int):
                    return opened
                state = StateTable(opened.aws, args.state_table, now=opened.clock.now,
                                   create=False)
                report = drift(opened.specs, opened.aws, state, root, early=opened.early)
        except Exception as err:
            print(f"sagectl: {user_failure(err)}", file=sys.stderr)
            return EXIT_ERROR
        return _report(args, report, None, EXIT_OK)
    specs, _, code = _load(args.path, args.env, nothing="nothing was compared")
    if code:
        return code
    heal_code = EXIT_OK
    healed = None
    try:
        with open_target(specs.environment, target) as (aws, clock):
            state = StateTable(aws, args.state_table, now=clock.now,
                               create=not args.no_create_state_table)
            actx = ApplyContext(aws, state, clock, new_run_id(), run_owner(),
                                git_commit(root), Events(json_lines=args.format == "json"),
                                ApplyOptions(concurrency=args.parallel or DEFAULT_PARALLEL,
                                             poll_seconds=args.poll_seconds))
            before, result, report = drift_and_heal(actx, specs, root)
            if result is not None:
                healed = before
                heal_code = EXIT_BY_OUTCOME[result.worst]
                if heal_code == EXIT_BY_OUTCOME["waiting"]:
                    heal_code = EXIT_OK  # e.g. quarantined: reported as drift below
    except Exception as err:
        print(f"sagectl: {user_failure(err)}", file=sys.stderr)
        return EXIT_ERROR
    return _report(args, report, healed, heal_code)


def _report(args: argparse.Namespace, report: Any, healed: Any, heal_code: int) -> int:
    from reconciler.drift import render

    if args.format == "json":
        data: dict[str, Any] = report.to_dict()
        if healed is not None:
            data["healed"] = [i.as_dict() for i in healed.items
                              if i.drift_class in ("out_of_band", "missing")]
        print(json.dumps(data, indent=2, default=str))
    else:
        if healed is not None:
            names = [i.address for i in healed.items if i.drift_class in ("out_of_band",
                                                                          "missing")]
            print(f"healed: {', '.join(names)}", file=sys.stderr)
        sys.stdout.write(render.markdown(report) if args.format == "markdown"
                         else render.text(report))
    if heal_code not in (EXIT_OK,):
        return heal_code
    if args.detailed_exitcode and report.actionable:
        return EXIT_DRIFT
    return EXIT_OK


def add_parser(sub: Any) -> None:
    from reconciler.defaults import DEFAULT_TABLE

    p = sub.add_parser("drift", help="compare live AWS with the specs; classify and heal drift",
                       description=__doc__.split("\n\n", 1)[1],
                       epilog=examples(
                           "sagectl drift specs --env prod",
                           "sagectl drift specs --env prod --detailed-exitcode --format json",
                           "sagectl drift specs --env prod --format markdown  # an issue body",
                           "sagectl drift specs --env dev --heal"))
    p.add_argument("path", nargs="?", default="specs", help="spec directory (default: specs)")
    p.add_argument("--env", metavar="ENV",
                   help="environment (default: the only one); a comma list or shell patterns "
                        "check several at once, one combined report (--env 'prod-*')")
    multi.add_parallel_envs_option(p)
    add_format_option(p, ("text", "markdown", "json"),
                      "text (default), markdown (an issue body) or json")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when actionable drift exists")
    p.add_argument("--heal", action="store_true",
                   help="apply the fix for out_of_band and missing resources (guarded, never a "
                        "quarantined spec), then report what is left")
    p.add_argument("--state-table", default=DEFAULT_TABLE, metavar="TABLE",
                   help=f"DynamoDB table with quarantine records (default {DEFAULT_TABLE})")
    p.add_argument("--no-create-state-table", action="store_true",
                   help="with --heal: fail instead of creating the state table")
    p.add_argument("--poll-seconds", type=float, default=15.0,
                   help="with --heal: how often waits and bakes look at AWS (default 15)")
    add_aws_options(p, changes=True)
    p.set_defaults(func=cmd_drift)
