#!/usr/bin/env python3
"""Which environments of one apply stage need an approved apply, from their plans.

    stage-review.py --stage N --environments JSON DIR [--github-output]

apply.yml plans every environment of a stage (one matrix job each, with its read-only role),
then this script reads what each plan job left in DIR (the stage's plan artifacts, merged):

    gate-ENV        ``apply`` (the gate let the plan run: the commit is the tip of main) or
                    ``skip`` (main has moved on and its newer run owns the tip)
    plan-ENV.rc     the plan's exit code (``sagectl plan --detailed-exitcode``: 0 no changes,
                    2 changes), written by pr-plan.sh

and decides (``review``, a pure function the concurrency model in tests/workflows/ runs too):

- every plan ran from the tip (``current``): the environments with changes are the stage's
  apply matrix, each applied, in its GitHub environment (whose required reviewers approve),
  from exactly its saved plan; an environment without changes asks nobody;
- a plan was skipped because a newer run owns the tip: nothing is applied (``current=false``),
  and apply.yml starts no later stage; the newer run applies the newer commit;
- a plan result is missing or is not 0/2: an error (exit 1): the stage does not apply, later
  stages do not start, and the run is red.

Outputs (stdout, and ``$GITHUB_OUTPUT`` with ``--github-output``): ``matrix`` (the JSON list of
the environments to apply, the entries of ``--environments``), ``any`` (``true`` when that list
is not empty: GitHub fails a job whose matrix is empty, so the apply job is guarded with it) and
``current``. A table for the reviewers goes to ``$GITHUB_STEP_SUMMARY``. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

APPLY, SKIP = "apply", "skip"
NO_CHANGES, CHANGES = "0", "2"


@dataclass(frozen=True)
class Review:
    current: bool
    apply: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def review(envs: list[str], gates: dict[str, str | None],
           codes: dict[str, str | None]) -> Review:
    """The stage's decision from each environment's gate (``apply``/``skip``) and plan code."""
    rows, missing = [], []
    for env in envs:
        gate = gates.get(env)
        if gate not in (APPLY, SKIP):
            missing.append(f"{env}: no gate decision" if gate is None
                           else f"{env}: gate {gate!r}")
            continue
        if gate == SKIP:
            rows.append((env, "skipped: main has moved on, its newer run applies it"))
            continue
        code = codes.get(env)
        if code == NO_CHANGES:
            rows.append((env, "no changes: nothing to approve"))
        elif code == CHANGES:
            rows.append((env, "changes: applied once the environment's reviewers approve "
                              "the plan above (none configured: at once)"))
        else:
            missing.append(f"{env}: plan " + ("result missing" if code is None
                                              else f"exit {code}"))
    if missing:
        return Review(False, [], rows, "; ".join(missing))
    if any(gates.get(env) == SKIP for env in envs):
        return Review(False, [], rows)
    return Review(True, [env for env in envs if codes.get(env) == CHANGES], rows)


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def _summary(stage: int, result: Review) -> str:
    lines = [f"### Stage {stage}", "", "| Environment | Plan |", "|---|---|"]
    lines += [f"| `{env}` | {what} |" for env, what in result.rows]
    if result.error:
        lines += ["", f"**Not applied: {result.error}.** Later stages do not start."]
    elif not result.current:
        lines += ["", "**Superseded:** nothing applied; later stages do not start."]
    elif not result.apply:
        lines += ["", "Nothing to apply in this stage."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="the stage's plan artifacts, merged")
    parser.add_argument("--stage", type=int, required=True)
    parser.add_argument("--environments", required=True,
                        help="the stage's matrix (environments.py --stages), JSON")
    parser.add_argument("--github-output", action="store_true")
    args = parser.parse_args(argv)
    try:
        entries = json.loads(args.environments)
        names = [str(e["name"]) for e in entries]
    except (ValueError, TypeError, KeyError) as err:
        print(f"stage-review.py: --environments is not a stage matrix: {err}", file=sys.stderr)
        return 2
    result = review(names,
                    {n: _read(args.dir / f"gate-{n}") for n in names},
                    {n: _read(args.dir / f"plan-{n}.rc") for n in names})
    chosen = [e for e in entries if e["name"] in result.apply]
    lines = [f"matrix={json.dumps(chosen, separators=(',', ':'))}",
             f"any={str(bool(chosen)).lower()}", f"current={str(result.current).lower()}"]
    print("\n".join(lines))
    summary = _summary(args.stage, result)
    print(summary, file=sys.stderr)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as out:
            out.write(summary + "\n")
    if args.github_output and os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
            out.write("".join(f"{line}\n" for line in lines))
    if result.error:
        print(f"stage-review.py: stage {args.stage}: {result.error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
