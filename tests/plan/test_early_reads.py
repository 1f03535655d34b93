"""``sagectl plan`` and ``drift`` open AWS as soon as the environment file is read and starts the reads that
need only the account and region (the caller's identity, the scaling namespace's long chain)
while the rest of the specs load (``reconciler/plan/early.py``). Against the served emulator, in
process. (The specs' problems still come first: tests/test_plan_role.py.)"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.aws import add_call_observer
from reconciler.spec import load as spec_load
from tests import test_assume_role
from tests.kinds.inference_component.helpers import MODEL, OLD_ENDPOINT
from tests.plan.helpers import ENV

Cli = Callable[..., tuple[int, str, str]]
remote = test_assume_role.remote  # the served emulator, reset, with the commit pinned

def tree(spec_tree: Callable[[dict[str, str]], Path], **extra: str) -> Path:
    return spec_tree({"environments/dev.yaml": ENV % {"prune": "false"},
                      "models/llm.yaml": MODEL % {"version": 1},
                      "endpoints/old.yaml": OLD_ENDPOINT, **extra})


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_the_scaling_chain_starts_while_the_specs_are_still_loading(
        command: str, cli: Cli, remote: str, spec_tree: Callable[[dict[str, str]], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The spec tree is parsed, not yet validated, when DescribeScalingPolicies is called:
    the first Endpoint document read started the chain that bounds the plan's wall time."""
    called = threading.Event()
    seen_before_validation: list[bool] = []
    resolve = spec_load.resolve

    def observe(service: str, operation: str) -> None:
        if operation == "DescribeScalingPolicies":
            called.set()

    def validating(*args: Any, **kwargs: Any) -> Any:
        seen_before_validation.append(called.wait(30))
        return resolve(*args, **kwargs)

    monkeypatch.setattr(spec_load, "resolve", validating)
    remove = add_call_observer(observe)
    try:
        code, out, err = cli(command, str(tree(spec_tree)), "--env", "dev")
    finally:
        remove()
    assert code == 0, err
    assert seen_before_validation == [True]
    assert "Endpoint.old" in out


def test_invalid_specs_with_the_embedded_emulator_start_no_emulator(
        cli: Cli, spec_tree: Callable[[dict[str, str]], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``--emulator`` is not opened early: it is empty (no long chain to start), and starting
    it loads moto, seconds that invalid specs should not wait for."""
    from sagemaker_emulator import server

    started: list[object] = []
    monkeypatch.setattr(server.EmulatorServer, "start", lambda self: started.append(self))
    bad = OLD_ENDPOINT.replace("initialInstanceCount: 1", "initialInstanceCount: lots")
    code, _, err = cli("plan", str(tree(spec_tree, **{"endpoints/old.yaml": bad})), "--env",
                       "dev", "--emulator")
    assert code == 1
    assert "endpoints/old.yaml:" in err and "initialInstanceCount" in err, err
    assert started == []
