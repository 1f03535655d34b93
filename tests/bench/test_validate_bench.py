"""The validate benchmark (bench/validate_bench.py) at a tiny size: it writes a tree in both
layouts, runs ``sagectl validate`` on it as a user would, and produces every figure with its
target and the load average. No timing is asserted: the figures are the bench's to print."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.validate_bench import write_tree
from reconciler.cli.registry import KINDS
from reconciler.spec.load import validate
from tests.conftest import REPO


def test_the_bench_validates_a_small_tree_in_both_layouts_and_prints_every_figure() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.validate_bench", "--documents", "12",
                           "--runs", "1", "--json"], cwd=REPO, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert [r["layout"] for r in report["results"]] == ["several", "one"]
    for result in report["results"]:
        phases = result["phases"]
        assert result["exit_codes"] == [0] and "valid for bench: 12 resources" in \
            result["last_line"]
        assert (phases["documents"], phases["resources"], phases["errors"]) == (12, 12, 0)
        assert phases["files"] == (4 if result["layout"] == "several" else 12)
        assert result["cpu_s_min"] > 0 and result["wall_s_min"] > 0
        assert result["target_wall_s"] == 3.0 and not result["target_applies"]
        assert len(result["load_after_cli"]) == 3 and len(result["load_after_phases"]) == 3
        for figure in ("read_s", "parse_s", "read_tree_s", "environments_s", "resolve_s",
                       "pydantic_s", "validate_s"):
            assert phases[figure] >= 0, figure


def test_the_generated_tree_is_a_valid_mix_of_endpoints_models_and_alarms(tmp_path: Path) -> None:
    for layout in ("several", "one"):
        specs = write_tree(tmp_path / layout, 9, layout)
        result = validate(specs, KINDS)
        assert not result.errors, result.errors
        assert result.counts() == {"bench": {"Alarm": 3, "Endpoint": 3, "Model": 3}}
