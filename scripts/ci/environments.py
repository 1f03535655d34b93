#!/usr/bin/env python3
"""List the environments of a spec tree (``specs/environments/*.yaml``) for the workflows.

    environments.py [--specs specs]                 names, one a line (for shell loops)
    environments.py --matrix [--github-output]      JSON list for a job matrix, and the names:
        matrix=[{"name": "dev", "key": "DEV", "region": "eu-west-1", "account": "1111...",
                 "stage": "1"}, ...]
        names=dev prod
        ``key`` is the name as a variable suffix (``vars.AWS_PLAN_ROLE_ARN_DEV``)
    environments.py --env prod [--github-output]    one environment's name, key, region, account
    environments.py --stages --slots 4 [--github-output]
        the environments by stage, for apply.yml's stage slots:
        count=2                      how many stages the tree has (the slots used)
        stage-1=[{"name": "dev", ...}]   each slot's matrix, ``[]`` for a slot left empty
        stage-2=[{"name": "prod", ...}]
        ...
        stage-4=[]

Stages are ordered as ``sagectl apply --env '*'`` orders them: the distinct ``spec.stage``
values, lowest first, so stage numbers 10, 20, 30 fill slots 1, 2, 3. ``--stages`` is strict,
as the apply of the whole tree is: every environment declares ``spec.stage`` (an integer from 1
to 1000), a file that cannot be read is an error, and a tree with more distinct stages than
``--slots`` is an error naming the files of the stages beyond the slots (apply.yml has a fixed
number of stage jobs; adding an environment to a stage needs no workflow edit, adding a stage
beyond the slots does). Errors are ``FILE:LINE:COLUMN: error: FIELD: message`` on stderr (and,
in GitHub Actions, annotations on the file), exit 1, nothing written to ``$GITHUB_OUTPUT``.

With ``--github-output`` the result is appended to ``$GITHUB_OUTPUT`` as well as printed. The
name is the file's ``metadata.name`` (the file name when PyYAML is missing or the file does not
say); region, account and stage come from ``spec``. ``--matrix`` and ``--env`` are lenient: a
broken file is listed under its file name (``sagectl validate`` reports what is wrong with it).
Exit 1 when there is no environment (or not the one asked for).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")  # sagectl's environment names
MAX_STAGE = 1000  # spec.stage: an integer from 1 to 1000 (the Environment schema)
FIELDS = ("name", "key", "region", "account", "stage")


@dataclass
class EnvFile:
    path: Path
    name: str
    region: str = ""
    account: str = ""
    stage: Any = None
    """``spec.stage`` as written (validated by ``problems``)."""
    at: dict[str, tuple[int, int]] = field(default_factory=dict)
    """1-based (line, column) of ``file``, ``spec``, ``name`` and ``stage`` when known."""
    broken: str | None = None
    """Why the file cannot be read (YAML error, not one mapping, PyYAML missing)."""
    broken_field: str = ""

    @property
    def key(self) -> str:
        return re.sub(r"[^A-Za-z0-9]", "_", self.name).upper()

    def entry(self) -> dict[str, str]:
        stage = "" if self.stage is None or isinstance(self.stage, bool) else str(self.stage)
        return {"name": self.name, "key": self.key, "region": self.region,
                "account": self.account, "stage": stage}

    def where(self, what: str) -> str:
        line, column = self.at.get(what) or self.at.get("spec") or self.at.get("file") or (1, 1)
        return f"{self.path}:{line}:{column}"


def _position(node: Any) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _child(node: Any, key: str) -> tuple[Any, Any] | tuple[None, None]:
    """The (key node, value node) of ``key`` in a YAML mapping node."""
    for k, v in getattr(node, "value", None) or []:
        if getattr(k, "value", None) == key:
            return k, v
    return None, None


def _read(path: Path) -> EnvFile:
    env = EnvFile(path, path.stem)
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        import yaml  # sagectl depends on PyYAML; a bare runner may not have it
    except ImportError:
        found = re.search(r"^\s+region:\s*[\"']?([a-z0-9-]+)", text, re.MULTILINE)
        env.region = found.group(1) if found else ""
        env.broken = "cannot read the file without PyYAML (pip install PyYAML)"
        return env
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        if mark is not None:
            env.at["file"] = (mark.line + 1, mark.column + 1)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        env.broken = f"not valid YAML: {problem}"
        if "single document" in str(err):
            env.broken = ("an environment file holds exactly one Environment document, "
                          "found more")
        return env
    if not isinstance(doc, dict) or not isinstance(root, yaml.MappingNode):
        env.broken = "an environment file is one mapping (apiVersion, kind, metadata, spec)"
        return env
    env.at["file"] = _position(root)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    _, meta_node = _child(root, "metadata")
    spec_key, spec_node = _child(root, "spec")
    if spec_key is not None:
        env.at["spec"] = _position(spec_key)
    _, name_node = _child(meta_node, "name")
    if name_node is not None:
        env.at["name"] = _position(name_node)
    _, stage_node = _child(spec_node, "stage")
    if stage_node is not None:
        env.at["stage"] = _position(stage_node)
    env.name = str(meta.get("name") or env.name)
    env.region = str(spec.get("region") or "")
    env.account = str(spec.get("accountId") or "")
    env.stage = spec.get("stage")
    return env


def environments(specs: Path) -> list[EnvFile]:
    files = sorted([*specs.glob("environments/*.yaml"), *specs.glob("environments/*.yml")])
    return [_read(path) for path in files]


# --------------------------------------------------------------------------------------------
# stages


@dataclass
class Problem:
    where: str    # FILE:LINE:COLUMN
    field: str
    message: str
    file: str = ""
    line: int = 1
    column: int = 1

    def text(self) -> str:
        return f"{self.where}: error: {self.field}: {self.message}"

    def github(self) -> str:
        msg = f"{self.field}: {self.message}".replace("%", "%25").replace("\n", "%0A")
        return f"::error file={self.file},line={self.line},col={self.column}::{msg}"


def _problem(env: EnvFile, what: str, fld: str, message: str) -> Problem:
    where = env.where(what)
    _, line, column = where.rsplit(":", 2)
    return Problem(where, fld, message, str(env.path), int(line), int(column))


def problems(envs: list[EnvFile]) -> list[Problem]:
    """What keeps the environments from being put in stages (each located at its file)."""
    out = []
    for env in envs:
        if env.broken:
            out.append(_problem(env, "file", "file", f"{env.broken}; apply.yml cannot tell "
                                "this environment's stage"))
            continue
        if not NAME.match(env.name):
            out.append(_problem(env, "name", "metadata.name",
                                f"{env.name!r}: expected lower-case letters, digits and hyphens "
                                "(the name goes into job names, concurrency groups, artifact "
                                "and variable names)"))
        if env.stage is None:
            out.append(_problem(env, "spec", "spec.stage",
                                f"environment {env.name!r} has no spec.stage: apply.yml applies "
                                "the environments stage by stage (stage 1 first, as `sagectl "
                                "apply --env '*'` does), so each declares its stage; add "
                                "`stage: N` under spec"))
        elif (isinstance(env.stage, bool) or not isinstance(env.stage, int)
              or not 1 <= env.stage <= MAX_STAGE):
            out.append(_problem(env, "stage", "spec.stage",
                                f"{env.stage!r}: expected an integer from 1 to {MAX_STAGE}"))
    return out


def stages(envs: list[EnvFile], slots: int) -> tuple[list[list[EnvFile]], list[Problem]]:
    """(the environments by stage, lowest first; problems)."""
    found = problems(envs)
    if found:
        return [], found
    order = sorted({e.stage for e in envs})
    by_stage = [[e for e in envs if e.stage == s] for s in order]
    if len(by_stage) > slots:
        listed = ", ".join(str(s) for s in order)
        for number, members in enumerate(by_stage[slots:], slots + 1):
            for env in members:
                found.append(_problem(
                    env, "stage", "spec.stage",
                    f"{env.stage} makes {env.name!r} the tree's stage {number} in order (the "
                    f"stages: {listed}), but apply.yml has {slots} stage slot(s): put it in "
                    f"one of the first {slots} stage(s), or add a stage-{number} job to "
                    ".github/workflows/apply.yml and raise --slots where environments.py "
                    "--stages runs (apply.yml and plan.yml)"))
        return [], found
    return by_stage, []


# --------------------------------------------------------------------------------------------
# output


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _github_output(lines: list[str]) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write("".join(f"{line}\n" for line in lines))


def _stage_lines(envs: list[EnvFile], slots: int) -> tuple[list[str], list[Problem]]:
    by_stage, found = stages(envs, slots)
    if found:
        return [], found
    lines = [f"count={len(by_stage)}"]
    for number in range(1, slots + 1):
        members = by_stage[number - 1] if number <= len(by_stage) else []
        lines.append(f"stage-{number}={_compact([e.entry() for e in members])}")
    return lines, []


def _describe(envs: list[EnvFile], slots: int) -> str:
    by_stage, _ = stages(envs, slots)
    return "; ".join(f"stage {n}: {', '.join(e.name for e in members)}"
                     for n, members in enumerate(by_stage, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", default=os.environ.get("SPECS_DIR", "specs"))
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--matrix", action="store_true", help="print a JSON list for a matrix")
    what.add_argument("--env", help="print one environment's fields")
    what.add_argument("--stages", action="store_true",
                      help="print each stage slot's matrix (needs --slots)")
    parser.add_argument("--slots", type=int, metavar="N",
                        help="with --stages: how many stage jobs apply.yml has")
    parser.add_argument("--github-output", action="store_true",
                        help="also append the result to $GITHUB_OUTPUT")
    args = parser.parse_args(argv)
    if args.stages and (args.slots is None or args.slots < 1):
        parser.error("--stages needs --slots N (N >= 1): the number of stage jobs in apply.yml")
    if args.slots is not None and not args.stages:
        parser.error("--slots goes with --stages")

    envs = environments(Path(args.specs))
    if not envs:
        print(f"environments.py: no environments in {args.specs}/environments/", file=sys.stderr)
        return 1
    if args.stages:
        lines, found = _stage_lines(envs, args.slots)
        for problem in found:
            print(problem.text(), file=sys.stderr)
            if os.environ.get("GITHUB_ACTIONS") == "true":
                print(problem.github())
        if found:
            print(f"environments.py: {len(found)} problem(s): no stages written",
                  file=sys.stderr)
            return 1
        print(f"environments.py: {_describe(envs, args.slots)} ({args.slots} slots)",
              file=sys.stderr)
    else:
        for env in envs:  # lenient: validate reports the file; keep its file name
            if env.broken and env.broken.startswith("not valid"):
                print(f"environments.py: {env.where('file')}: {env.broken}", file=sys.stderr)
        if args.env:
            match = [e for e in envs if e.name == args.env]
            if not match:
                known = ", ".join(e.name for e in envs)
                print(f"environments.py: no environment {args.env!r} (known: {known})",
                      file=sys.stderr)
                return 1
            lines = [f"{name}={value}" for name, value in match[0].entry().items()]
        elif args.matrix:
            lines = [f"matrix={_compact([e.entry() for e in envs])}",
                     "names=" + " ".join(e.name for e in envs)]
        else:
            print("\n".join(e.name for e in envs))
            return 0
    print("\n".join(lines))
    if args.github_output:
        _github_output(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
