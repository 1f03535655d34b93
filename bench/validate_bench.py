"""How fast is `sagectl validate` on a large spec tree?

Generates a tree of N documents (a third each Endpoint, Model and Alarm: endpoints with two
variants and autoscaling on one, the model each uses, a guardrail alarm each, as in
``bench/plan_bench.py``) in two layouts:

- ``several``: the three documents of an endpoint in one file (N/3 files);
- ``one``: one document per file (N files).

For each layout it runs ``sagectl validate SPECS`` as a subprocess (the child's CPU time from
``resource.getrusage(RUSAGE_CHILDREN)``, and wall time; start-up and imports included, as a user
sees them) and then the phases in this process, CPU time each (``time.process_time``):

- read: listing the tree, reading and decoding every file;
- parse: YAML into position-aware nodes (``parse_text``);
- environments: the environment files, validated;
- resolve: variables, envelopes, duplicates, pydantic validation and the kinds' checks
  (``resolve``), then pydantic alone on the same documents (the rest by difference).

Each phase is the least of three runs (the machine is shared).

Every figure is printed with its target and the load average at the time (a busy machine
inflates wall time: compare CPU time).

    python -m bench.validate_bench [--documents 3000] [--layout both] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.fleet import spec_dir
from bench.plan_bench import endpoint_specs

TARGET_WALL_S = 3.0
"""Issue 19: ``sagectl validate`` on 3,000 documents in at most 3 s."""

REPO = Path(__file__).resolve().parent.parent


def endpoint_documents(i: int) -> list[str]:
    """The model, the alarm and the endpoint of endpoint ``i``, as plan_bench plans them
    (account and region are variables, as in a tree shared by several environments)."""
    text = endpoint_specs(i, account="${accountId}", region="${region}")
    return [doc.strip() + "\n" for doc in text.split("\n---\n")]


def write_tree(root: Path, documents: int, layout: str) -> Path:
    """A spec tree of ``documents`` documents (rounded up to a multiple of 3) under ``root``."""
    specs = spec_dir(root)
    for i in range((documents + 2) // 3):
        docs = endpoint_documents(i)
        if layout == "several":
            (specs / f"endpoint-{i}.yaml").write_text("---\n".join(docs))
        else:
            for name, doc in zip(("model", "alarm", "endpoint"), docs, strict=True):
                (specs / f"{name}-{i}.yaml").write_text(doc)
    return specs


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_cli(specs: Path) -> tuple[float, float, int, str]:
    """(wall s, CPU s of the child, exit code, its last line) of ``sagectl validate specs``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(specs)],
                          cwd=REPO, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = (done.stdout or done.stderr).strip().splitlines()[-1:] or [""]
    return wall, cpu, done.returncode, last[0]


def _cpu(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    """The least CPU time of ``repeats`` calls (each after a full collection: one phase must
    not pay for the garbage of the one before), and the last call's value."""
    from reconciler.spec.yamlfile import forget_parsed

    best, value = float("inf"), None
    for _ in range(repeats):
        forget_parsed()  # each run parses, as a command does the first time
        gc.collect()
        start = time.process_time()
        value = fn()
        best = min(best, time.process_time() - start)
    return best, value


def phases(specs: Path) -> dict[str, Any]:
    """CPU seconds of each phase of validating ``specs`` in this process (see the docstring)."""
    from reconciler.cli.registry import KINDS
    from reconciler.diagnostics import Report
    from reconciler.spec.documents import document_model
    from reconciler.spec.files import read_tree
    from reconciler.spec.load import validate
    from reconciler.spec.nodes import to_python
    from reconciler.spec.resolve import load_environments, resolve
    from reconciler.spec.yamlfile import decode
    from reconciler.spec.yamlload import FAST_LOADER, parse_text

    validate(specs, KINDS)  # warm: pydantic's validators, the kinds' lazy tables
    def read() -> list[tuple[str, str]]:
        return [(str(p), decode(p.read_bytes(), str(p))[0] or "")
                for p in sorted(specs.rglob("*.yaml"))]

    read_s, texts = _cpu(read)
    parse_s, parsed = _cpu(lambda: [parse_text(text, name) for name, text in texts])
    tree_s, tree = _cpu(lambda: read_tree(specs, KINDS))
    env_s, envs = _cpu(lambda: load_environments(tree, Report()))
    env = next(iter(envs.values()), None)
    resolve_s, result = _cpu(lambda: resolve(tree, env, env.name if env else None))
    models = [(document_model(KINDS[r.kind]), r.node) for r in result.resources]
    pydantic_s, _ = _cpu(lambda: [m.model_validate(to_python(n)) for m, n in models])
    total_s, validation = _cpu(lambda: validate(specs, KINDS))
    documents = len(tree.documents)
    return {
        "documents": documents,
        "files": len(tree.spec_files),
        "resources": len(result.resources),
        "errors": len(validation.errors),
        "yaml_parser": "libyaml (CSafeLoader events)" if FAST_LOADER else "PyYAML (pure Python)",
        "read_s": round(read_s, 3),
        "parse_s": round(parse_s, 3),
        "parse_ms_per_document": round(parse_s * 1000 / max(documents, 1), 3),
        "read_tree_s": round(tree_s, 3),
        "environments_s": round(env_s, 3),
        "resolve_s": round(resolve_s, 3),
        "pydantic_s": round(pydantic_s, 3),
        "resolve_rest_s": round(resolve_s - pydantic_s, 3),
        "validate_s": round(total_s, 3),
        "validate_ms_per_document": round(total_s * 1000 / max(documents, 1), 3),
        "parsed_files": len(parsed),
    }


def measure(documents: int, layout: str, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="validate-bench-") as tmp:
        specs = write_tree(Path(tmp), documents, layout)
        run_cli(specs)  # warm the file cache and the bytecode
        cli = [run_cli(specs) for _ in range(runs)]
        load_cli = load()
        codes = {c for _, _, c, _ in cli}
        walls = [w for w, _, _, _ in cli]
        cpus = [c for _, c, _, _ in cli]
        figures = phases(specs)
        return {
            "layout": layout, "runs": runs, "exit_codes": sorted(codes), "last_line": cli[-1][3],
            "wall_s_min": round(min(walls), 3), "wall_s_median": round(statistics.median(walls), 3),
            "cpu_s_min": round(min(cpus), 3), "cpu_s_median": round(statistics.median(cpus), 3),
            "cpu_ms_per_document": round(min(cpus) * 1000 / max(figures["documents"], 1), 3),
            "target_wall_s": TARGET_WALL_S,
            "target_applies": figures["documents"] >= 3000,
            "load_after_cli": load_cli, "phases": figures, "load_after_phases": load(),
        }


def _print(result: dict[str, Any]) -> None:
    p = result["phases"]
    n = p["documents"]
    target = result["target_wall_s"]
    met = ("met" if result["wall_s_min"] <= target else "NOT met") if result["target_applies"] \
        else "applies at 3,000 documents"
    print(f"\nsagectl validate, {n} documents in {p['files']} files ({result['layout']} per "
          f"file), {result['runs']} runs, exit {result['exit_codes']}: {result['last_line']}")
    print(f"  wall  min {result['wall_s_min']:.3f} s, median {result['wall_s_median']:.3f} s "
          f"(target <= {target:.1f} s: {met}); load average {result['load_after_cli']}")
    print(f"  CPU   min {result['cpu_s_min']:.3f} s, median {result['cpu_s_median']:.3f} s, "
          f"{result['cpu_ms_per_document']:.3f} ms per document (start-up included)")
    print(f"  in-process CPU by phase ({p['yaml_parser']}); load average "
          f"{result['load_after_phases']}:")
    rows = [("read files", p["read_s"]), ("parse YAML", p["parse_s"]),
            ("read_tree (walk + read + parse)", p["read_tree_s"]),
            ("environments", p["environments_s"]), ("resolve", p["resolve_s"]),
            ("  pydantic validation", p["pydantic_s"]),
            ("  variables, envelopes, checks", p["resolve_rest_s"]),
            ("validate() in all", p["validate_s"])]
    for label, seconds in rows:
        print(f"    {label:34} {seconds:7.3f} s  {seconds * 1000 / max(n, 1):7.3f} ms/doc")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--layout", choices=("several", "one", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3, help="subprocess runs per layout")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    layouts = ("several", "one") if args.layout == "both" else (args.layout,)
    results = [measure(args.documents, layout, args.runs) for layout in layouts]
    if args.json:
        print(json.dumps({"cores": os.cpu_count(), "results": results}, indent=2))
    else:
        print(f"{os.cpu_count()} cores")
        for result in results:
            _print(result)
    return 0 if all(r["exit_codes"] == [0] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
