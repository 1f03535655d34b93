#!/usr/bin/env python3
"""List the environments of a spec tree (``specs/environments/*.yaml``) for the workflows.

    environments.py [--specs specs]                 names, one a line (for shell loops)
    environments.py --matrix [--github-output]      JSON list for a job matrix, and the names:
        matrix=[{"name": "dev", "key": "DEV", "region": "eu-west-1", "account": "1111..."}, ...]
        names=dev prod
        ``key`` is the name as a variable suffix (``vars.AWS_PLAN_ROLE_ARN_DEV``)
    environments.py --env prod [--github-output]    one environment's name, key, region, account

With ``--github-output`` the result is appended to ``$GITHUB_OUTPUT`` (``matrix=...``, or one
``name=value`` line per field) as well as printed. The name is the file's ``metadata.name`` (the
file name when PyYAML is missing or the file does not say); region and account come from ``spec``.
Exit 1 when there is no environment (or not the one asked for).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path


def _read(path: Path) -> dict[str, str]:
    name, region, account = path.stem, "", ""
    try:
        import yaml  # sagectl depends on PyYAML; a bare runner may not have it

        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        meta = doc.get("metadata") or {}
        spec = doc.get("spec") or {}
        name = str(meta.get("name") or name)
        region = str(spec.get("region") or "")
        account = str(spec.get("accountId") or "")
    except ImportError:
        text = path.read_text(encoding="utf-8")
        found = re.search(r"^\s+region:\s*[\"']?([a-z0-9-]+)", text, re.MULTILINE)
        region = found.group(1) if found else ""
    except Exception as err:  # a broken file: validate reports it; keep the file name
        print(f"environments.py: {path}: {err}", file=sys.stderr)
    key = re.sub(r"[^A-Za-z0-9]", "_", name).upper()
    return {"name": name, "key": key, "region": region, "account": account}


def environments(specs: Path) -> list[dict[str, str]]:
    files = sorted([*specs.glob("environments/*.yaml"), *specs.glob("environments/*.yml")])
    return [_read(path) for path in files]


def _github_output(lines: list[str]) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write("".join(f"{line}\n" for line in lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", default=os.environ.get("SPECS_DIR", "specs"))
    parser.add_argument("--matrix", action="store_true", help="print a JSON list for a matrix")
    parser.add_argument("--env", help="print one environment's fields")
    parser.add_argument("--github-output", action="store_true",
                        help="also append the result to $GITHUB_OUTPUT")
    args = parser.parse_args(argv)

    envs = environments(Path(args.specs))
    if not envs:
        print(f"environments.py: no environments in {args.specs}/environments/", file=sys.stderr)
        return 1
    if args.env:
        match = [e for e in envs if e["name"] == args.env]
        if not match:
            known = ", ".join(e["name"] for e in envs)
            print(f"environments.py: no environment {args.env!r} (known: {known})",
                  file=sys.stderr)
            return 1
        lines = [f"{field}={value}" for field, value in match[0].items()]
    elif args.matrix:
        lines = [f"matrix={json.dumps(envs, separators=(',', ':'))}",
                 "names=" + " ".join(e["name"] for e in envs)]
    else:
        print("\n".join(e["name"] for e in envs))
        return 0
    print("\n".join(lines))
    if args.github_output:
        _github_output(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
