"""``sagectl apply``, ``sagectl unlock`` and ``sagectl history``.

Exit codes of apply: 0 everything planned was applied and verified (or nothing to do); 1 error
(invalid specs, AWS errors, a stale saved plan, a change that failed and could not be undone);
2 usage; 3 internal error; 4 rolled back (something failed, its endpoint was returned to the last
known good config and verified); 5 degraded (AWS left an endpoint Failed or UpdateRollbackFailed:
a human must act); 6 not applied (waiting: an endpoint busy, a resource leased by another run, a
spec quarantined after a rollback, or a dependency that did not apply). The code is that of the
worst outcome, resumed ones included (degraded, failed, rolled back, waiting). With --format
json (or --json, its older spelling) the events are stdout's only content; when nothing is
applied they say why (plan_errors, refused, error).

Several environments (--env 'prod-*', --env dev,prod): applied stage by stage, each with
spec.stage in its Environment file (stage 1 first), the environments of a stage at once, each in
its own sagectl process; a stage that did not fully apply stops the run with its worst exit code
and the later stages are not started.

Stopping: the first Ctrl-C (SIGINT) or SIGTERM stops the apply cleanly: nothing new starts,
SageMaker operations in flight keep running on AWS and stay in the journal, this run's leases
are released as "stopped, resumable", and apply exits 130 (SIGINT) or 143 (SIGTERM) with the
command that resumes; a second Ctrl-C exits at once (the journal is kept).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from reconciler.cli import multi
from reconciler.cli.common import (
    EXIT_DEGRADED,
    EXIT_ERROR,
    EXIT_NOT_APPLIED,
    EXIT_OK,
    EXIT_ROLLED_BACK,
    EXIT_USAGE,
    add_aws_options,
    add_format_option,
    add_prune_options,
    environment_missing,
    examples,
    print_diagnostics,
    read_parallel,
)

EXIT_BY_OUTCOME = {"applied": EXIT_OK, "waiting": EXIT_NOT_APPLIED,
                   "rolled_back": EXIT_ROLLED_BACK, "failed": EXIT_ERROR,
                   "degraded": EXIT_DEGRADED}


def _load(path: str, env: str | None, specs_dir: str = "specs",
          nothing: str = "nothing was applied") -> tuple[Any, Any, int]:
    """(specs, saved plan or None, exit code if they cannot be used)."""

    from reconciler.cli.registry import KINDS
    from reconciler.plan.saved import NotAPlan, load_plan
    from reconciler.spec.load import load_specs

    saved = None
    if path.lower().endswith(".json"):  # a saved plan, whatever is (or is not) at that path
        try:
            saved = load_plan(path, KINDS)
        except NotAPlan as err:
            print(f"sagectl: {err.located(path)}", file=sys.stderr)
            return None, None, EXIT_ERROR
        env = env or saved.env
        path = specs_dir
    specs = load_specs(path, KINDS, env)
    if environment_missing(specs, env):
        return None, None, EXIT_USAGE
    if not specs.ok:
        print_diagnostics(specs.report.sorted(), "text")
        print(f"the specs are invalid; {nothing}", file=sys.stderr)
        return None, None, EXIT_ERROR
    return specs, saved, EXIT_OK


def _confirm(args: argparse.Namespace) -> bool:
    if args.auto_approve:
        return True
    if not sys.stdin.isatty():
        print("sagectl: not a terminal: pass --auto-approve to apply without a confirmation",
              file=sys.stderr)
        return False
    answer = input("Apply this plan? Only 'yes' is accepted: ")
    return answer.strip() == "yes"


def cmd_apply(args: argparse.Namespace) -> int:
    from reconciler.apply.clock import Stopped, check
    from reconciler.apply.context import DEFAULT_PARALLEL, ApplyContext, ApplyOptions, Events
    from reconciler.apply.stage import apply_plan, prepare
    from reconciler.apply.state import StateTable, new_run_id, run_owner
    from reconciler.aws import user_failure
    from reconciler.cli.apply_view import make_view
    from reconciler.cli.signals import StopOnSignal
    from reconciler.plan.context import PlanOptions, git_commit
    from reconciler.plan.render import text
    from reconciler.targets import Target, open_target

    names, selection, code = multi.choose(args)
    if code:
        return code
    if names:
        from reconciler.cli import multi_apply

        return multi_apply.run(args, names, selection)
    specs, saved, code = _load(args.path, args.env, args.specs)
    if code:
        return code
    root = Path(args.path if saved is None else args.specs).resolve()
    target = Target(emulator=args.emulator, profile=args.profile, region=args.region,
                    concurrency=read_parallel(args))
    # --json: the events are the output (stdout), for CI logs; otherwise progress (stderr):
    # a live view in a terminal, timestamped lines elsewhere (apply_view.py)
    view = None if args.json else make_view(sys.stderr)
    events = Events(json_lines=args.json, out=sys.stdout if args.json else sys.stderr,
                    view=view)
    signals = StopOnSignal()
    try:
        with open_target(specs.environment, target) as (aws, clock):
            if view is not None:
                view.now = clock.now
            state = StateTable(aws, args.state_table, now=clock.now,
                               create=not args.no_create_state_table)
            actx = ApplyContext(aws, state, clock, new_run_id(), run_owner(), git_commit(root),
                                events, ApplyOptions(concurrency=args.parallel or DEFAULT_PARALLEL,
                                                     poll_seconds=args.poll_seconds,
                                                     force=args.force,
                                                     lease_seconds=args.lease_seconds))
            with signals.watching(clock.stop):
                run = prepare(actx, specs, root, PlanOptions(prune=args.prune), saved)
                check(clock)
            for outcome in run.resumed:
                events.emit("resumed", outcome.address, status=outcome.status,
                            message=f"resumed: {outcome.status} {outcome.reason}".strip())
            if run.moved:
                for moved in run.moved:
                    print(f"sagectl: the saved plan {moved.problem}: {moved.address}: "
                          f"{moved.why}", file=sys.stderr)
                print("nothing was applied; plan again", file=sys.stderr)
                if args.json:
                    events.emit("refused", "", message="the saved plan cannot be applied; "
                                "nothing was applied; plan again", exit_code=EXIT_ERROR,
                                problems=[{"address": m.address, "problem": m.problem,
                                           "why": m.why} for m in run.moved])
                return EXIT_ERROR
            if not args.json:
                sys.stdout.write(_unless_unfinished(text.render(run.plan), run.resumed))
            if run.plan.errors:
                errors = run.plan.errors
                said = (f"the plan has {len(errors)} error{'s' if len(errors) != 1 else ''}; "
                        "nothing was applied")
                print(said, file=sys.stderr)
                if args.json:
                    events.emit("plan_errors", "", message=said, exit_code=EXIT_ERROR, errors=[
                        {"address": e.address, "message": e.message, "hint": e.hint}
                        for e in errors])
                return EXIT_ERROR
            if not run.plan.has_changes:
                return exit_code([], run.resumed)
            if saved is None and not _confirm(args):
                print("nothing was applied", file=sys.stderr)
                return EXIT_ERROR
            if view is not None:
                view.start()
            try:
                with signals.watching(clock.stop):
                    apply_plan(actx, run)
            finally:
                if view is not None:
                    view.stop()
    except Stopped:
        return _stopped(args, signals, events, specs.env_name)
    except Exception as err:
        print(f"sagectl: {user_failure(err)}", file=sys.stderr)
        if args.json:
            events.emit("error", "", message=user_failure(err), exit_code=EXIT_ERROR)
        return EXIT_ERROR
    assert run.result is not None
    result = run.result
    summary = {status: result.count(status) for status in EXIT_BY_OUTCOME}
    code = exit_code(result.outcomes, run.resumed)
    if args.json:
        events.emit("summary", "", **summary, exit_code=code)
    else:
        assert view is not None
        view.table()
        print("Apply: " + ", ".join(f"{n} {status.replace('_', ' ')}"
                                    for status, n in summary.items() if n) + ".", flush=True)
        view.waiting()
    return code


def _unless_unfinished(rendered: str, resumed: list[Any]) -> str:
    """The plan as rendered, except that it never ends "No changes." while a change a stopped
    or killed run left in flight was not resumed (its lease is held): that is not applied."""
    from reconciler.apply.context import APPLIED

    unfinished = [o.address for o in resumed if o.status != APPLIED]
    body = rendered.rstrip("\n")
    if not unfinished or not body.endswith("No changes."):
        return rendered
    return (body[:-len("No changes.")] + f"Nothing more to plan, but {', '.join(unfinished)} "
            "was left in flight by an earlier run and is not finished (see above): not "
            "applied.\n")


def _stopped(args: argparse.Namespace, signals: Any, events: Any, env: str | None) -> int:
    """The apply stopped on a signal: say what was left and how to resume; 130 or 143."""
    import shlex

    from reconciler.apply.state import DEFAULT_TABLE

    command = ["sagectl", "apply", args.specs if args.path.lower().endswith(".json")
               else args.path, *(["--env", env] if env else [])]
    if args.state_table != DEFAULT_TABLE:
        command += ["--state-table", args.state_table]
    for option in ("profile", "region"):
        if getattr(args, option):
            command += [f"--{option}", getattr(args, option)]
    resume = shlex.join(command)
    said = (f"stopped ({signals.name}): nothing new was started; what SageMaker was already "
            "doing keeps running on AWS and is in this run's journal; this run's leases were "
            f"released as stopped, resumable, so the next apply takes them over at once and "
            f"resumes. Resume with: {resume}")
    print(f"sagectl: {said}", file=sys.stderr)
    if args.json:
        events.emit("stopped", "", message=said, signal=signals.name, resume=resume,
                    exit_code=signals.exit_code)
    return int(signals.exit_code)


def exit_code(outcomes: list[Any], resumed: list[Any]) -> int:
    """The exit code of the worst outcome (``RANK``), the resumed ones included: a rollback this
    run finished (4) outranks the change that then waits in quarantine (6)."""
    from reconciler.apply.context import APPLIED, RANK

    worst = max((o.status for o in [*outcomes, *resumed]), key=RANK.__getitem__,
                default=APPLIED)
    return EXIT_BY_OUTCOME[worst]


def _with_state(args: argparse.Namespace, use: Any, read_only: bool = False
                ) -> tuple[int, Any]:
    """Run ``use(state_table, specs)`` against the target of ``args``: (exit code, its
    result). ``read_only``: ``use`` only reads the table (history), as ``planRoleArn``."""
    from reconciler.apply.state import StateTable
    from reconciler.aws import user_failure
    from reconciler.targets import Target, open_target

    specs, _, code = _load(args.path, args.env)
    if code:
        return code, None
    try:
        target = Target(emulator=args.emulator, profile=args.profile, region=args.region,
                        read_only=read_only)
        with open_target(specs.environment, target) as (aws, clock):
            return EXIT_OK, use(StateTable(aws, args.state_table, now=clock.now, create=False),
                                specs)
    except Exception as err:
        print(f"sagectl: {user_failure(err)}", file=sys.stderr)
        return EXIT_ERROR, None


def lease_key(resource: str) -> str | None:
    """The lease of ``resource``: an address (``Pipeline.fraud-training``) or, as before every
    kind was leased, an endpoint's name. None: an address of no known kind."""
    from reconciler.cli.registry import KINDS

    kind, dot, name = resource.partition(".")
    if not dot:
        return resource
    found = KINDS.get(kind)
    return found.lease_key(resource, name) if found is not None and name else None


def _unlock_targets(args: argparse.Namespace) -> tuple[list[str], str, str | None]:
    """(resources, spec directory, usage error): an argument naming an existing directory is
    the spec directory (``unlock scorer specs/`` as before), every other one a resource."""
    from reconciler.cli.registry import KINDS

    resources, path = [], "specs"
    for arg in args.resources:
        if Path(arg).is_dir():
            path = arg
        else:
            resources.append(arg)
    if args.all and resources:
        return [], path, "give RESOURCE... or --all, not both"
    if not args.all and not resources:
        return [], path, "name at least one RESOURCE (an endpoint or an address), or --all"
    bad = [r for r in resources if lease_key(r) is None]
    if bad:
        return [], path, (f"{', '.join(bad)}: neither an endpoint name nor an address "
                          f"(KIND.NAME, KIND one of {', '.join(KINDS)})")
    return resources, path, None


def cmd_unlock(args: argparse.Namespace) -> int:
    """Remove the leases named (or, with --all, every lease held on a resource of the
    environment), each with an audit record."""
    from reconciler.apply.state import run_owner

    resources, args.path, problem = _unlock_targets(args)
    if problem:
        print(f"sagectl: {problem}", file=sys.stderr)
        return EXIT_USAGE

    def unlock(state: Any, specs: Any) -> list[tuple[str, Any]]:
        if not args.all:
            return [(r, state.unlock(str(lease_key(r)), run_owner(), args.reason))
                    for r in resources]
        keys = {r.address: specs.kinds[r.kind].lease_key(r.address, r.name)
                for r in specs.resources if r.kind in specs.kinds}
        return [(address, state.unlock(key, run_owner(), args.reason))
                for address, key in sorted(keys.items())
                if state.lease(key) is not None]  # only held ones: each gets its audit record

    code, removed = _with_state(args, unlock)
    if code:
        return code
    if args.all and not removed:
        print("no resource of the environment is locked")
    for resource, held in removed:
        if held is None:
            print(f"{resource} was not locked (audit record written)")
        else:
            print(f"removed the lease of {held.get('owner')} (run {held.get('run_id')}) on "
                  f"{resource}; audit record written")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from reconciler.apply.state import iso

    code, records = _with_state(args, lambda state, _: state.history(args.endpoint, args.limit),
                                read_only=True)
    if code:
        return code
    if args.json:
        print(json.dumps(records, indent=2, default=str))
        return EXIT_OK
    if not records:
        print(f"no applies recorded for {args.endpoint}")
    for r in records:
        print(f"{iso(r.get('time'))}  {r.get('outcome', '?'):12} "
              f"{r.get('old_config') or '-'} -> {r.get('new_config') or '-'}  "
              f"commit {str(r.get('git_commit') or '')[:10]}  "
              f"{r.get('reason') or r.get('action_reason') or ''}")
    return EXIT_OK


def add_parser(sub: Any) -> None:
    from reconciler.defaults import DEFAULT_TABLE, LEASE_SECONDS

    def state_options(p: argparse.ArgumentParser, saved_plan: bool = False) -> None:
        p.add_argument("--env", metavar="ENV",
                       help="environment (default: the only one" +
                            (", or the saved plan's); a comma list or shell patterns apply "
                             "several, stage by stage (--env 'prod-*', each with spec.stage)"
                             if saved_plan else ")"))
        p.add_argument("--state-table", default=DEFAULT_TABLE, metavar="TABLE",
                       help=f"DynamoDB table for leases, journal and history (default "
                            f"{DEFAULT_TABLE})")

    p = sub.add_parser("apply", help="apply the plan to AWS, with guardrails and rollback",
                       description=__doc__.split("\n\n", 1)[1],
                       epilog=examples(
                           "sagectl apply specs --env dev                  # plans, asks, applies",
                           "sagectl plan specs --env prod --out plan.json && sagectl apply "
                           "plan.json",
                           "sagectl apply specs --env prod --auto-approve --format json  # CI",
                           "sagectl apply specs --env '*'   # every environment, stage by stage "
                           "(spec.stage)"))
    p.add_argument("path", nargs="?", default="specs",
                   help="spec directory (default: specs), or a plan saved with plan --out")
    state_options(p, saved_plan=True)
    multi.add_parallel_envs_option(p)
    p.add_argument("--specs", default="specs", metavar="DIR",
                   help="with a saved plan: the spec directory it was made from (default: specs)")
    p.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    add_format_option(p, ("text", "json"),
                      "text (default: the plan, then progress on stderr) or json (one JSON event "
                      "per line on stdout, for CI logs)", json_alias="same as --format json")
    p.add_argument("--force", action="store_true",
                   help="apply a spec that was quarantined after a rollback")
    p.add_argument("--poll-seconds", type=float, default=15.0, metavar="S",
                   help="how often waits and bakes look at AWS (default 15)")
    p.add_argument("--lease-seconds", type=float, default=LEASE_SECONDS, metavar="S",
                   help=f"how long a lease lasts unless its run renews it (default "
                        f"{LEASE_SECONDS:.0f}): a run that dies blocks its resources this long, "
                        "unless someone runs sagectl unlock")
    p.add_argument("--no-create-state-table", action="store_true",
                   help="fail instead of creating the state table when it is missing")
    add_prune_options(p, planning=False)
    add_aws_options(p, changes=True)
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("unlock", help="remove a resource's lease (with an audit record)",
                       description="Remove the lease a crashed or stuck run holds on a "
                                   "resource. Leases also expire on their own (apply "
                                   "--lease-seconds), and a run that was stopped or whose process "
                                   "died on this host is taken over at once. The leases are "
                                   "removed from the state table of the environment's account "
                                   "and region.",
                       epilog=examples(
                           "sagectl unlock fraud-detector --env prod    # an endpoint's lease",
                           "sagectl unlock fraud-detector Pipeline.fraud-training specs/ --env "
                           "prod --reason 'run 4711 was killed'",
                           "sagectl unlock --all --env dev               # every lease of dev"))
    p.add_argument("resources", metavar="RESOURCE", nargs="*",
                   help="addresses (ModelPackageGroup.fraud-models) or endpoint names; an "
                        "existing directory among them is the spec directory (default: specs)")
    p.add_argument("--all", action="store_true",
                   help="every lease held on a resource of the environment")
    p.add_argument("--reason", default="unlocked by hand", metavar="TEXT",
                   help="recorded in the audit trail")
    state_options(p)
    add_aws_options(p)
    p.set_defaults(func=cmd_unlock)

    p = sub.add_parser("history", help="what apply did to an endpoint, newest first",
                       description="The apply records of one endpoint (outcome, configs before "
                                   "and after, commit, reason), newest first, from the state "
                                   "table of the environment's account and region.",
                       epilog=examples(
                           "sagectl history fraud-detector --env prod",
                           "sagectl history fraud-detector --env prod --limit 5 --format json"))
    p.add_argument("endpoint", metavar="ENDPOINT", help="the endpoint's name")
    p.add_argument("path", nargs="?", default="specs", help="spec directory (default: specs)")
    p.add_argument("--limit", type=int, default=20, metavar="N",
                   help="records to show (default 20)")
    add_format_option(p, ("text", "json"), "text (default) or json (the records)",
                      json_alias="same as --format json")
    state_options(p)
    add_aws_options(p)
    p.set_defaults(func=cmd_history)
