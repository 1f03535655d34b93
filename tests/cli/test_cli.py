"""The command line: exit codes, output formats, and no tracebacks for user mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler import __version__
from tests.conftest import EXAMPLES, REPO

CLI = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_examples_are_valid(cli: CLI, env: str) -> None:
    code, out, err = cli("validate", str(EXAMPLES), "--env", env)
    assert code == 0, err
    assert err == ""
    assert out == (f"{EXAMPLES}: valid for {env}: 21 resources (4 Alarm, "
                   "1 DataQualityJobDefinition, 4 Endpoint, 2 InferenceComponent, 5 Model, "
                   "1 ModelPackageGroup, 1 ModelQualityJobDefinition, 2 MonitoringSchedule, "
                   "1 Pipeline)\n")


def test_validate_without_env_checks_all_environments(cli: CLI) -> None:
    code, out, _ = cli("validate", "specs", cwd=REPO)
    assert code == 0
    assert [line.split(": ")[1] for line in out.splitlines()] == ["valid for dev", "valid for prod"]


def test_json_output(cli: CLI) -> None:
    code, out, _ = cli("validate", str(EXAMPLES), "--env", "prod", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["valid"] is True and report["diagnostics"] == []
    assert report["resources"] == {"prod": {
        "Alarm": 4, "DataQualityJobDefinition": 1, "Endpoint": 4, "InferenceComponent": 2,
        "Model": 5, "ModelPackageGroup": 1, "ModelQualityJobDefinition": 1,
        "MonitoringSchedule": 2, "Pipeline": 1}}


def test_missing_path(cli: CLI, tmp_path: Path) -> None:
    code, _, err = cli("validate", str(tmp_path / "nope"), "--env", "dev")
    assert code == 1
    assert err.startswith(f"{tmp_path / 'nope'}:1:1: error: no such file or directory")


def test_empty_directory(cli: CLI, tmp_path: Path) -> None:
    code, _, err = cli("validate", str(tmp_path))
    assert code == 1
    assert "error: no spec files (*.yaml, *.yml) in this directory" in err


def test_unknown_environment_without_environments_dir(cli: CLI, spec_tree: Callable) -> None:
    root = spec_tree({"g.yaml": "apiVersion: sagectl/v1\nkind: ModelPackageGroup\n"
                                "metadata: {name: g}\nspec: {}\n"})
    code, _, err = cli("validate", str(root), "--env", "prod")
    assert code == 1
    assert "unknown environment 'prod': there is no environments/ directory" in err


def test_single_file_finds_the_environments_above_it(cli: CLI) -> None:
    code, out, err = cli("validate", str(EXAMPLES / "endpoints" / "doc-classifier.yaml"),
                         "--env", "prod")
    assert code == 0, err
    assert "valid for prod: 2 resources (1 Endpoint, 1 Model)" in out


def test_no_command_prints_usage(cli: CLI) -> None:
    code, _, err = cli()
    assert code == 2 and "usage: sagectl" in err


def test_bad_arguments_exit_2(cli: CLI) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("validate", "--format", "xml")
    assert exc.value.code == 2


def test_internal_errors_are_reported_without_traceback(cli: CLI,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import reconciler.spec.load as load

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(load, "validate", broken)
    monkeypatch.delenv("SAGECTL_DEBUG", raising=False)
    code, _, err = cli("validate", str(EXAMPLES))
    assert code == 3
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


def test_python_dash_m_and_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "reconciler", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == f"sagectl {__version__}"
    proc = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(EXAMPLES),
                           "--env", "dev"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_single_file_reports_only_on_that_file(cli: CLI, tmp_path: Path) -> None:
    import shutil

    from tests.conftest import FIXTURES

    shutil.copytree(FIXTURES / "broken", tmp_path / "broken")
    code, out, _ = cli("validate", "pipelines/pipeline.yaml", "--env", "prod", "--format", "json",
                       cwd=tmp_path / "broken")
    assert code == 1
    files = {d["file"] for d in json.loads(out)["diagnostics"]}
    # its own problems, its definition file's, and the environment's; not the other specs'
    assert files == {"pipelines/pipeline.yaml", "pipelines/definition.json",
                     "environments/prod.yaml"}
