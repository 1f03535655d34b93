"""Spec trees with symlinks and special files (issue 13).

Symlinked directories of specs are followed (a team may link in a shared directory); a symlink
loop, a dangling symlink or a link to specs outside the repository is an error at the link;
FIFOs, sockets and devices are skipped with a warning and never opened. Nothing may vanish
silently: a spec that is not read is a resource ``prune: true`` deletes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.conftest import REPO
from tests.kinds.endpoint.test_plan_changes import ALARM, ENDPOINT, MODEL, SERVERLESS
from tests.plan.helpers import converge, plan, write

CLI = Callable[..., tuple[int, str, str]]
SPECS = {"model.yaml": MODEL, "alarm.yaml": ALARM, "endpoints/endpoint.yaml": ENDPOINT,
         "endpoints/serverless.yaml": SERVERLESS}
BAD_ENDPOINT = ENDPOINT.replace("initialInstanceCount: 2", "initialInstanceCount: 0", 1)
TIMEOUT = 60  # seconds; the walk takes milliseconds, a hang takes forever


def bounded(cli: CLI, *args: str, cwd: Path) -> tuple[int, str, str]:
    """Run the CLI in process, failing (not hanging) if it does not finish."""
    result: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: result.append(cli(*args, cwd=cwd)), daemon=True)
    worker.start()
    worker.join(TIMEOUT)
    if not result:
        pytest.fail(f"sagectl {' '.join(args)} did not finish within {TIMEOUT} s")
    return result[0]


def subprocess_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a process of its own, killed after TIMEOUT (a blocked read cannot be
    interrupted in process)."""
    try:
        return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                              text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"sagectl {' '.join(args)} hung (killed after {TIMEOUT} s)")


def relink(specs: Path, directory: str, target: Path) -> None:
    """Move ``specs/<directory>`` to ``target`` and link it back (relative, as in a repo)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(specs / directory, target)
    (specs / directory).symlink_to(os.path.relpath(target, specs / directory / ".."))


def names(specs: Path) -> list[str]:
    loaded = load_specs(specs, KINDS, "dev")
    assert loaded.ok, [d.text() for d in loaded.report.items]
    return sorted(f"{r.kind}.{r.name} {r.file}" for r in loaded.resources)


# -- directory symlinks ---------------------------------------------------------------------

@pytest.mark.parametrize("target", ["shared/endpoints", "specs/.team/endpoints"],
                         ids=["outside-the-tree", "inside-the-tree"])
def test_a_symlinked_directory_is_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           target: str) -> None:
    monkeypatch.chdir(tmp_path)
    specs = write(tmp_path, SPECS)
    relink(specs, "endpoints", tmp_path / target)
    assert names(Path("specs")) == [
        "Alarm.scorer-errors specs/alarm.yaml", "Endpoint.docs specs/endpoints/serverless.yaml",
        "Endpoint.scorer specs/endpoints/endpoint.yaml", "Model.scorer-model specs/model.yaml"]


def test_a_directory_reached_twice_is_read_once_under_its_direct_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    specs = write(tmp_path, SPECS)
    (specs / "a-link").symlink_to("endpoints")  # sorts first: still not the path shown
    (specs / "endpoints" / "again.yaml").symlink_to("endpoint.yaml")
    assert names(Path("specs")) == [
        "Alarm.scorer-errors specs/alarm.yaml", "Endpoint.docs specs/endpoints/serverless.yaml",
        "Endpoint.scorer specs/endpoints/endpoint.yaml", "Model.scorer-model specs/model.yaml"]


@pytest.mark.parametrize("target", ["..", ".", "loop", "../endpoints/deeper/.."],
                         ids=["parent", "itself", "self-link", "indirect"])
def test_a_directory_symlink_loop_is_a_located_error(cli: CLI, tmp_path: Path, target: str
                                                     ) -> None:
    specs = write(tmp_path, SPECS)
    (specs / "endpoints" / "deeper").mkdir()
    (specs / "endpoints" / "loop").symlink_to(target)
    code, out, err = bounded(cli, "validate", "specs", "--env", "dev", cwd=tmp_path)
    assert code == 1, (out, err)
    assert "specs/endpoints/loop:1:1: error: symlink loop" in err
    assert "internal error" not in err and "Traceback" not in err


def test_loops_through_directories_outside_the_tree_end(cli: CLI, tmp_path: Path) -> None:
    specs = write(tmp_path, SPECS)
    relink(specs, "endpoints", tmp_path / "shared" / "a")
    (tmp_path / "shared" / "b").mkdir()
    (tmp_path / "shared" / "a" / "to-b").symlink_to("../b")
    (tmp_path / "shared" / "b" / "to-a").symlink_to("../a")
    code, _, err = bounded(cli, "validate", "specs", "--env", "dev", cwd=tmp_path)
    assert code == 1
    assert "specs/endpoints/to-b/to-a:1:1: error: symlink loop: it points to shared/a" in err


# -- file symlinks --------------------------------------------------------------------------

def test_a_file_symlink_loop_is_a_located_error(cli: CLI, tmp_path: Path) -> None:
    specs = write(tmp_path, SPECS)
    (specs / "a.yaml").symlink_to("b.yaml")
    (specs / "b.yaml").symlink_to("a.yaml")
    code, out, err = bounded(cli, "validate", "specs", "--env", "dev", cwd=tmp_path)
    assert code == 1, (out, err)
    assert "specs/a.yaml:1:1: error: symlink loop" in err
    assert "specs/b.yaml:1:1: error: symlink loop" in err
    assert "internal error" not in err


def test_a_definition_file_symlink_loop_is_a_located_error(cli: CLI, tmp_path: Path) -> None:
    pipeline = ("apiVersion: sagectl/v1\nkind: Pipeline\nmetadata: {name: training}\n"
                "spec:\n  roleArn: arn:aws:iam::111111111111:role/pipelines\n"
                "  pipelineDefinitionFile: training.json\n")
    specs = write(tmp_path, {**SPECS, "training.yaml": pipeline})
    (specs / "training.json").symlink_to("training.json")
    code, out, err = bounded(cli, "validate", "specs", "--env", "dev", cwd=tmp_path)
    assert code == 1, (out, err)
    assert "specs/training.json:1:1: error: symlink loop" in err
    assert "specs/training.yaml:6:27: error: spec.pipelineDefinitionFile: file " in err
    assert "internal error" not in err


@pytest.mark.parametrize("link", ["endpoints", "extra.yaml"])
def test_a_dangling_symlink_is_a_located_error(cli: CLI, tmp_path: Path, link: str) -> None:
    specs = write(tmp_path, SPECS)
    shutil.rmtree(specs / "endpoints")
    (specs / link).symlink_to("../gone")
    code, out, err = bounded(cli, "validate", "specs", "--env", "dev", cwd=tmp_path)
    assert code == 1, (out, err)
    assert (f"specs/{link}:1:1: error: dangling symlink: its target '../gone' does not exist"
            in err)


# -- special files --------------------------------------------------------------------------

def test_special_files_are_skipped_with_a_warning_never_read(tmp_path: Path) -> None:
    specs = write(tmp_path, SPECS)
    os.mkfifo(specs / "pipe.yaml")
    os.mkfifo(specs / "environments" / "qa.yaml")
    (specs / "null.yaml").symlink_to("/dev/null")
    server = socket.socket(socket.AF_UNIX)
    cwd = Path.cwd()
    os.chdir(specs / "endpoints")  # a socket's path is limited to ~100 bytes
    try:
        server.bind("control.yaml")
    finally:
        os.chdir(cwd)
    try:
        proc = subprocess_cli(tmp_path, "validate", "specs", "--env", "dev")
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.splitlines() == [
            "specs/endpoints/control.yaml:1:1: warning: skipped: a socket, not a regular file "
            "(never read)",
            "specs/environments/qa.yaml:1:1: warning: skipped: a FIFO, not a regular file "
            "(never read)",
            "specs/null.yaml:1:1: warning: skipped: a character device, not a regular file "
            "(never read)",
            "specs/pipe.yaml:1:1: warning: skipped: a FIFO, not a regular file (never read)"]
        assert "valid for dev: 4 resources" in proc.stdout
        proc = subprocess_cli(tmp_path, "validate", "specs/pipe.yaml", "--env", "dev")
        assert proc.returncode == 1
        assert ("specs/pipe.yaml:1:1: error: not a regular file (a FIFO); sagectl does not read "
                "it") in proc.stderr.splitlines()
    finally:
        server.close()


# -- symlinks and pruning -------------------------------------------------------------------

@pytest.mark.parametrize("target", ["shared/endpoints", "specs/.team/endpoints"],
                         ids=["outside-the-tree", "inside-the-tree"])
def test_a_symlinked_spec_directory_is_not_pruned(emu: Emulator, tmp_path: Path,
                                                  target: str) -> None:
    emu.freeze()
    specs = write(tmp_path, SPECS, prune=True)
    converge(emu, plan(emu, specs))
    assert plan(emu, specs).resource_changes == []
    relink(specs, "endpoints", tmp_path / target)
    after = plan(emu, specs)
    assert [(c.address, c.actions) for c in after.resource_changes] == []
    assert (after.problems, after.unchanged) == ([], 4)


def test_a_symlink_out_of_the_repository_is_a_located_error(
        cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git keeps only the link, so what it points to was never reviewed: refused, like a
    definition file outside the repository, and never silently dropped (prune would delete)."""
    specs = write(tmp_path / "repo", SPECS, prune=True)
    relink(specs, "endpoints", tmp_path / "elsewhere" / "endpoints")
    (tmp_path / "elsewhere" / "extra.yaml").write_text(MODEL.replace("scorer-model", "x"))
    (specs / "extra.yaml").symlink_to("../../elsewhere/extra.yaml")
    monkeypatch.chdir(tmp_path / "repo")
    loaded = load_specs("specs", KINDS, "dev")
    errors = [d.text() for d in loaded.report.errors]
    assert errors[:2] == [
        f"specs/endpoints:1:1: error: symlink to {tmp_path}/elsewhere/endpoints, which is "
        "outside the repository (.); specs must be inside it (git keeps only the link, not "
        "what it points to)",
        f"specs/extra.yaml:1:1: error: symlink to {tmp_path}/elsewhere/extra.yaml, which is "
        "outside the repository (.); specs must be inside it (git keeps only the link, not "
        "what it points to)"]
    code, out, err = cli("plan", "specs", "--env", "dev", "--emulator")
    assert code == 1 and out == ""
    assert "specs/endpoints:1:1: error: symlink to" in err and "nothing was planned" in err


# -- the spec path itself through a symlink -------------------------------------------------

def test_the_spec_path_may_be_a_symlink(cli: CLI, tmp_path: Path) -> None:
    write(tmp_path / "repo", {**SPECS, "endpoints/bad.yaml": BAD_ENDPOINT.replace(
        "name: scorer", "name: bad")})
    (tmp_path / "link").symlink_to("repo/specs")
    code, out, err = cli("validate", "link", "--env", "dev", cwd=tmp_path)
    assert code == 1
    assert err.startswith("link/endpoints/bad.yaml:9:29: error: "
                          "spec.productionVariants[0].initialInstanceCount")
    (tmp_path / "repo" / "specs" / "endpoints" / "bad.yaml").unlink()
    code, out, err = cli("validate", "link", "--env", "dev", cwd=tmp_path)
    assert (code, err) == (0, "")
    assert out == "link: valid for dev: 4 resources (1 Alarm, 2 Endpoint, 1 Model)\n"


def test_a_file_named_through_a_symlink_is_reported_on(cli: CLI, tmp_path: Path) -> None:
    """Its own errors are not filtered away as another file's, and its resources are kept."""
    write(tmp_path / "repo", {**SPECS, "endpoints/endpoint.yaml": BAD_ENDPOINT})
    (tmp_path / "link").symlink_to("repo/specs")
    code, _, err = cli("validate", "link/endpoints/endpoint.yaml", "--env", "dev", cwd=tmp_path)
    assert code == 1
    assert "endpoints/endpoint.yaml:9:29: error: spec.productionVariants[0]" in err
    write(tmp_path / "repo", SPECS)
    code, out, _ = cli("validate", "link/endpoints/endpoint.yaml", "--env", "dev")
    assert code == 0
    assert out == ("link/endpoints/endpoint.yaml: valid for dev: 1 resources (1 Endpoint)\n")


def test_a_file_in_a_symlinked_directory_belongs_to_the_tree_that_links_it(
        cli: CLI, tmp_path: Path) -> None:
    specs = write(tmp_path, SPECS)
    relink(specs, "endpoints", tmp_path / "shared" / "endpoints")
    code, out, err = cli("validate", "specs/endpoints/endpoint.yaml", "--env", "dev",
                         cwd=tmp_path)
    assert (code, err) == (0, "")
    assert out == "specs/endpoints/endpoint.yaml: valid for dev: 1 resources (1 Endpoint)\n"
