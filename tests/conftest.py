"""Shared test helpers: hypothesis profiles, spec trees in temporary directories, the CLI, and the
emulator's conformance check (every emulated answer against botocore's model; see
sagemaker_emulator/conformance.py)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from hypothesis import HealthCheck, settings

from reconciler.cli.main import main
from sagemaker_emulator import Emulator, in_process
from sagemaker_emulator.conformance import ENV as CONFORMANCE_ENV
from sagemaker_emulator.server import EmulatorServer

# Set at import time, so the emulators the tests start in other processes (`sagectl emulator
# serve`, the demo) report to the same file.
CONFORMANCE = Path(tempfile.mkdtemp(prefix="sagectl-conformance-")) / "violations.jsonl"
os.environ[CONFORMANCE_ENV] = str(CONFORMANCE)
atexit.register(shutil.rmtree, CONFORMANCE.parent, ignore_errors=True)

pytest_plugins = ["tests.iam_coverage"]  # the IAM coverage check of the whole run
REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "specs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# CI runs at least 2,000 examples per property; locally a quicker default.
settings.register_profile("ci", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") else "dev"))


class _UniquePaths(list[str]):
    """A loader's search paths: boto3 appends its own data directory to its session's loader,
    once per ``boto3.Session``; a loader shared by every session takes it once."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


_LOADERS: dict[str | None, botocore.loaders.Loader] = {}
_create_loader = botocore.session.create_loader


def _shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    loader = _LOADERS.get(search_path_string)
    if loader is None:
        loader = _LOADERS[search_path_string] = _create_loader(search_path_string)
        loader._search_paths = _UniquePaths(loader.search_paths)  # type: ignore[assignment]
    return loader


# Every botocore session of this process shares one data loader (a cache of botocore's JSON
# files: endpoints, service models, paginators, waiters), as the clients of one session always
# do. botocore otherwise parses those files again for every session, and sagectl makes a session
# per run (``reconciler.aws.Aws``), which the tests do hundreds of times: that parsing was half
# of the suite's CPU time. What is parsed is the same, only parsed once; child processes
# (``sagectl`` commands, the demo) still start from nothing.
botocore.session.create_loader = _shared_loader


LONGEST_FIRST = (
    "tests/test_workflows.py",
    "tests/apply/test_crash.py",
    "tests/apply/test_apply.py",
    "tests/spec/test_properties.py",
    "tests/bench/test_estate_bench.py",
    "tests/cli/test_demo.py",
    "tests/apply/test_saved_plans.py",
    "tests/emulator/test_served.py",
    "tests/kinds/endpoint/test_fidelity.py",
    "tests/apply/test_leases.py",
    "tests/cli/test_promote.py",
    "tests/kinds/endpoint/test_plan_changes.py",
    "tests/importer/test_import.py",
)
"""The files that take longest (``pytest --durations``), longest first: pytest-xdist's workers
start them first, so that no worker begins a long file while the others are finishing."""


SPREAD = ("tests/apply/test_crash.py", "tests/spec/test_properties.py")
"""Files whose tests pytest-xdist hands out one by one, to several workers at once: each is long
(the property tests' are with CI's 2,000 examples) and they share no module fixture worth
setting up only once."""


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` (pyproject's addopts): a test file is a unit of work, all its tests run
    on one worker (its module fixtures are set up once), except in the files of ``SPREAD``,
    where each test is a unit of its own."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return nodeid if file in SPREAD else file

    return Scheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a pytest-xdist worker: the files of ``LONGEST_FIRST`` first, in its order, then the
    others by number of tests (as xdist orders its work by default), each file's tests in their
    own order. The controller hands out the units of work in this order
    (``--no-loadscope-reorder``, pyproject's addopts)."""
    if not hasattr(config, "workerinput"):
        return
    files = [item.nodeid.split("::", 1)[0] for item in items]
    count = Counter(files)
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    first_seen = {name: i for i, name in reversed(list(enumerate(files)))}
    key = {id(item): (rank.get(name, len(rank)), -count[name], first_seen[name])
           for item, name in zip(items, files, strict=True)}
    items.sort(key=lambda item: key[id(item)])


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject's addopts): two workers per core. About a third of the suite's
    wall time is spent waiting, not computing (the emulator's simulated time, served emulators
    and ``sagectl`` child processes), so a second worker per core fills it: on 2 idle cores the
    suite took 6m25s with 4 workers and 7m29s with 2. ``-n N`` on the command line still wins."""
    return 2 * (os.cpu_count() or 1)


def _conformance_size() -> int:
    return CONFORMANCE.stat().st_size if CONFORMANCE.exists() else 0


@pytest.fixture(autouse=True)
def emulator_conformance() -> Iterator[None]:
    """Fail the test if an emulated answer it received does not conform to botocore's model."""
    start = _conformance_size()
    yield
    if _conformance_size() == start:
        return
    with CONFORMANCE.open("rb") as f:
        f.seek(start)
        lines = f.read().decode("utf-8", "replace").splitlines()
    found = sorted({json.loads(line)["violation"] for line in lines if line.strip()})
    pytest.fail("the emulator answered outside botocore's model (fix the emulator, "
                "sagemaker_emulator/conformance.py says what is checked):\n  "
                + "\n  ".join(found), pytrace=False)


@pytest.fixture(autouse=True, scope="module")
def empty_emulator() -> None:
    """Every test file starts with the emulated AWS of its process empty and its clock running.
    A served emulator (the ``server`` fixture, ``sagectl ... --emulator`` run in process) works
    on this process's emulated AWS and leaves it as it is (only ``emu`` empties it), so without
    this a file would see what an earlier file on the same worker left: which one depends on
    how pytest-xdist shares out the files."""
    from sagemaker_emulator.state import STATE

    Emulator(STATE).reset()
    STATE.clock.unfreeze()


@pytest.fixture
def spec_tree(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write ``{relative path: YAML text}`` under a fresh directory and return it."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "specs"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        root.mkdir(exist_ok=True)
        return root

    return write


@pytest.fixture
def examples_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "specs"
    shutil.copytree(EXAMPLES, dest)
    return dest


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
        ) -> Callable[..., tuple[int, str, str]]:
    """Run ``sagectl ARGS`` in process; returns (exit code, stdout, stderr)."""

    def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A served emulator (as ``sagectl emulator serve`` runs it) shared by one test module: its
    URL. Simulated time runs 1000x faster."""
    with EmulatorServer(port=0, time_factor=0.001) as url:
        yield url


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh in-process emulator (moto's reset between tests; nothing leaks)."""
    with in_process(time_factor=0.001) as emulator:
        yield emulator
