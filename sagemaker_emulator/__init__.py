"""The local SageMaker: moto, plus the SageMaker behaviour sagectl relies on, plus fault injection.

In process (tests)::

    with in_process(time_factor=0.001) as emu:
        sm = emu.client("sagemaker")
        ...
        emu.fail_next_update("fraud-scorer", "silent_rollback")
        emu.fail_next_execution("train", "Training step failed")  # the next run ends Failed
        emu.advance(emu.durations.pipeline_execution)  # pipelines run on the simulated clock

As a server (demo, other tools, your CI): ``sagemaker-emulator serve --port 5055`` (or
``sagectl emulator serve``), then point any boto3 program at it with
``AWS_ENDPOINT_URL=http://127.0.0.1:5055``; ``RemoteEmulator`` gives the same controls over HTTP.
What the emulator adds to moto is listed in the README; pipelines and their triggers in
``sagemaker/pipelines.py``, ``sagemaker/pipeline_executions.py`` and ``triggers.py``
(``rate(...)`` schedules and rules start pipeline runs on the simulated clock; ``cron(...)`` ones
never fire).

This package imports nothing from sagectl (``reconciler``), and its root imports nothing heavy:
``Emulator`` and friends load moto on first use, so ``sagemaker_emulator.cli`` (which sagectl's
own parser uses) works without the emulator's extra installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sagemaker_emulator.emulator import (
        DEFAULT_ACCOUNT,
        DEFAULT_REGION,
        FAKE_CREDENTIALS,
        Emulator,
        in_process,
        install,
    )

__all__ = ["DEFAULT_ACCOUNT", "DEFAULT_REGION", "FAKE_CREDENTIALS", "Emulator", "in_process",
           "install"]


def __getattr__(name: str) -> Any:
    """The names of ``__all__``, loaded (with moto) on first use (PEP 562)."""
    if name in __all__:
        from sagemaker_emulator import emulator

        return getattr(emulator, name)
    raise AttributeError(f"module 'sagemaker_emulator' has no attribute {name!r}")
