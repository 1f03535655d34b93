"""The estate benchmark (bench/estate_bench.py) at a tiny size: it builds several accounts and
regions in one served emulator, checks the estate converged, and produces its figures for a
concurrent and a one-after-another ``sagectl drift --env '*'``. No timing is asserted: the
figures are the bench's to print, not the suite's to judge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.estate_bench import BenchFailure, check_converged, parse_args
from bench.estate_fleet import create_roles, layout, served_emulator, write_tree
from tests.conftest import REPO


def test_the_quick_bench_produces_figures_for_a_clean_drift_of_every_environment() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.estate_bench", "--quick", "--json"],
                          cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["estate"] == {"environments": 4, "accounts": 2,
                                "regions": ["eu-west-1", "us-east-1"],
                                "endpoints_per_environment": 3}
    assert result["seed"]["resources"] == 4 * 3 * 3  # an endpoint, its model and its alarm
    assert result["plan_check"]["environments_without_changes"] == 4
    assert result["machine"]["cores"] >= 1 and len(result["machine"]["load_at_end"]) == 3
    assert result["emulator_rss_after_seed_mb"] > 0
    runs = result["runs"]
    assert [r["parallel_envs"] for r in runs] == [4, 1]  # the fan-out, then one after another
    for run in runs:
        assert run["exit_code"] == 0 and run["clean_environments"] == 4, run
        assert run["calls_by_operation"]["sts:AssumeRole"] == 4  # each through its own role
        assert sum(run["calls_by_service"].values()) == run["calls"] > 0
        assert run["cpu_s"] > 0 and run["cpu_floor_s"] > 0
        assert run["peak_rss_mb"] > 0 and run["largest_child_rss_mb"] > 0
        assert run["parent_rss_mb"] > 0 and run["children_seen"] == 4
        assert run["emulator_rss_mb"] > 0 and len(run["load_before"]) == 3
    assert runs[0]["calls"] == runs[1]["calls"]  # the same reads, however many at once
    assert runs[1]["speedup_over_serial"] == 1.0


def test_an_estate_that_is_not_converged_stops_the_bench_naming_what_would_change(
        tmp_path: Path) -> None:
    envs = layout(2, 2)
    specs = write_tree(tmp_path, envs, 1)
    with served_emulator() as served:
        create_roles(served.url, envs)  # roles, but no endpoints: every environment has changes
        with pytest.raises(BenchFailure) as raised:
            check_converged(served, specs, envs)
    message = str(raised.value.code)
    assert "the estate is not converged" in message
    assert "changes or problems in 2 environments" in message
    assert "Endpoint.endpoint-0" in message or "Model.model-0" in message


def test_the_layout_spreads_environments_over_accounts_and_regions() -> None:
    envs = layout(30, 3)
    assert len({e.name for e in envs}) == 30
    assert len({e.account for e in envs}) == 10
    assert {e.region for e in envs} == {"eu-west-1", "us-east-1", "ap-southeast-2"}
    assert all(e.role_arn == f"arn:aws:iam::{e.account}:role/sagectl-deployer" for e in envs)


@pytest.mark.parametrize("argv", [["--parallel-envs", "4,x"], ["--envs", "1"],
                                  ["--parallel-envs", "0"], ["--regions", "9"]])
def test_bad_options_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    with pytest.raises(SystemExit) as raised:
        parse_args(argv)
    assert raised.value.code == 2
    assert "error: --" in capsys.readouterr().err
