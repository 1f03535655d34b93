"""``Emulator``: one emulated AWS (moto plus what sagectl relies on), in process or behind a
server, with its controls (simulated clock, faults, hooks); ``in_process`` starts one."""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sagemaker_emulator.dispatch import install
from sagemaker_emulator.faults import CallFault, EndpointFault, PipelineFault
from sagemaker_emulator.state import STATE, Durations, EmulatorState

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing"}


_SESSION_LOCK = threading.Lock()


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.Session()


class Emulator:
    """Controls of the emulator running in this process (tests, the served emulator)."""

    def __init__(self, state: EmulatorState = STATE, endpoint_url: str | None = None,
                 region: str = DEFAULT_REGION) -> None:
        self.state = state
        self.endpoint_url = endpoint_url
        self.region = region

    # -- clients ---------------------------------------------------------------------------
    def client(self, service: str, region: str | None = None, retries: int = 1) -> Any:
        """A boto3 client for the emulator (no retries unless asked: tests see every error)."""
        from botocore.config import Config

        with _SESSION_LOCK:  # one shared session: service models are loaded once
            return _session().client(
                service, region_name=region or self.region, endpoint_url=self.endpoint_url,
                aws_access_key_id="testing", aws_secret_access_key="testing",
                config=Config(retries={"total_max_attempts": retries, "mode": "standard"}),
            )

    # -- time ------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move simulated time forward (e.g. past an update's duration)."""
        self.state.clock.advance(seconds)

    def freeze(self) -> None:
        """Stop simulated time: it then moves only by ``advance``."""
        self.state.clock.freeze()

    def unfreeze(self) -> None:
        self.state.clock.unfreeze()

    def set_time_factor(self, factor: float) -> None:
        """Real seconds per simulated second (1.0 = real time, 0.001 = 1000x faster)."""
        self.state.clock.set_time_factor(factor)

    def now(self) -> float:
        return self.state.clock.now()

    @property
    def durations(self) -> Durations:
        return self.state.durations

    def set_durations(self, **seconds: float) -> None:
        for name, value in seconds.items():
            if not hasattr(self.state.durations, name):
                raise ValueError(f"unknown duration {name!r}")
            setattr(self.state.durations, name, float(value))

    # -- faults ----------------------------------------------------------------------------
    def inject(self, error: str = "throttle", service: str | None = None,
               action: str | None = None, times: int | None = 1,
               probability: float | None = None) -> None:
        """Answer matching calls with ``throttle`` (ThrottlingException), ``5xx`` (500),
        ``503`` or ``denied`` (AccessDeniedException: the caller's policy lacks the action):
        ``times`` times, or with ``probability`` on every call."""
        if error not in ("throttle", "5xx", "503", "denied"):
            raise ValueError("error is one of throttle, 5xx, 503, denied")
        self.state.faults.add(CallFault(error, service, action,  # type: ignore[arg-type]
                                        None if probability is not None else times,
                                        probability))

    def set_latency(self, seconds: float, service: str | None = None) -> None:
        """Add ``seconds`` of real latency to every call (of one service)."""
        self.state.faults.latency[service] = seconds

    def fail_next_update(self, endpoint: str, kind: str = "fail",
                         reason: str | None = None) -> None:
        """The next UpdateEndpoint of ``endpoint``: ``fail`` (ends Failed), ``silent_rollback``
        (ends InService on the old config with a FailureReason), ``rollback_failed`` (ends
        UpdateRollbackFailed) or ``hang`` (stays Updating)."""
        if kind not in ("fail", "silent_rollback", "rollback_failed", "hang"):
            raise ValueError("kind is one of fail, silent_rollback, rollback_failed, hang")
        default = {"fail": "Failed to deploy the new endpoint configuration (injected).",
                   "silent_rollback": "Update failed and was rolled back (injected).",
                   "rollback_failed": "Update failed and its rollback failed too (injected).",
                   "hang": ""}[kind]
        self.state.faults.set_endpoint_fault(endpoint, "update", EndpointFault(
            kind, reason or default))  # type: ignore[arg-type]

    def fail_next_component_update(self, component: str, kind: str = "fail",
                                   reason: str | None = None) -> None:
        """The next UpdateInferenceComponent of ``component``: ``fail`` (ends Failed) or
        ``rollback`` (ends InService on its old specification with a FailureReason), after
        the update's batches."""
        if kind not in ("fail", "rollback"):
            raise ValueError("kind is one of fail, rollback")
        from sagemaker_emulator.sagemaker.components import COMPONENT_UPDATE

        default = {"fail": "Failed to deploy the inference component update (injected).",
                   "rollback": "Inference component update failed and was rolled back "
                               "(injected)."}[kind]
        self.state.faults.set_endpoint_fault(component, COMPONENT_UPDATE, EndpointFault(
            "fail" if kind == "fail" else "silent_rollback", reason or default))

    def fail_next_create(self, endpoint: str, reason: str | None = None) -> None:
        self.state.faults.set_endpoint_fault(endpoint, "create", EndpointFault(
            "fail", reason or "Failed to create the endpoint (injected)."))

    def fail_next_execution(self, pipeline: str, reason: str | None = None,
                            after: float | None = None) -> None:
        """The next execution of ``pipeline`` (by StartPipelineExecution or a schedule) ends
        Failed with ``reason``, ``after`` simulated seconds (default: its usual duration)."""
        self.state.faults.set_pipeline_fault(pipeline, PipelineFault(
            reason or "Step failed: the pipeline execution failed (injected).", after))

    def fail_next_monitoring_execution(self, schedule: str, kind: str = "failed",
                                       reason: str | None = None) -> None:
        """The next execution of monitoring schedule ``schedule`` ends ``Failed`` with
        ``reason`` as its FailureReason (``kind="failed"``) or ``CompletedWithViolations``
        (``kind="violations"``), after its usual duration. Calls queue up, in order."""
        if kind not in ("failed", "violations"):
            raise ValueError("kind is one of failed, violations")
        outcome = "Failed" if kind == "failed" else "CompletedWithViolations"
        self.state.faults.add_monitoring_fault(schedule, outcome, reason or (
            "AlgorithmError: the monitoring job failed (injected)." if kind == "failed" else ""))

    def before_call(self, service: str, action: str, run: Callable[[], None],
                    skip: int = 0) -> None:
        """Run ``run()`` just before the next ``action`` of ``service`` is served (after
        ``skip`` matching calls), once: AWS changing under a client between its read and its
        write, e.g. ``emu.before_call("sagemaker", "DeleteEndpoint", lambda:
        emu.system_update("ep", 600))``. In process only."""
        from sagemaker_emulator.faults import CallHook

        self.state.faults.add_hook(CallHook(service, action, run, skip))

    # -- pipelines -------------------------------------------------------------------------
    def pipeline_versions(self, pipeline: str, region: str | None = None,
                          account: str = DEFAULT_ACCOUNT) -> int:
        """Versions of ``pipeline``: 1 + the UpdatePipeline calls that took effect."""
        from sagemaker_emulator.sagemaker.pipelines import version_count

        return version_count(account, region or self.region, pipeline)

    # -- events ----------------------------------------------------------------------------
    def emitted_events(self) -> list[dict[str, Any]]:
        """The events AWS services sent to EventBridge (SageMaker's "Model Package State
        Change"), oldest first: ``time`` (simulated), ``account``, ``region``, the ``event`` as
        targets see it, and ``matched``: the rules of its default bus it matched, each with what
        became of every target (``succeeded``/``failed`` API destination, ``started`` pipeline,
        ``not emulated``)."""
        return self.state.events.events()

    def api_destination_invocations(self) -> list[dict[str, Any]]:
        """Every API destination invocation, oldest first: ``time`` (simulated), ``rule``,
        ``target_id``, ``api_destination``, ``method``, ``url``, ``headers`` and ``body`` as sent
        (the API key, a Basic password and ``IsValueSecret`` parameters masked), ``sent``,
        ``sent_to`` (when routed), ``outcome`` (``succeeded``: a 2xx answer; else ``failed``),
        ``status``, ``error``, ``retryable`` (as AWS documents; retries are not emulated)."""
        return self.state.events.invocations()

    def clear_event_log(self) -> None:
        """Forget the emitted events and invocations recorded so far (routes stay)."""
        self.state.events.clear()

    def route_host(self, host: str, to: str | None = None) -> None:
        """Deliver API destination requests for ``https://<host>/...`` to ``to`` instead (e.g.
        ``http://127.0.0.1:8123``, a local fake of the service), path and query kept and the
        ``Host`` header unchanged; ``to=None`` removes the route. AWS requires HTTPS endpoints;
        a host that is neither loopback nor routed is never contacted."""
        self.state.events.route(host, to)

    # -- crash point -----------------------------------------------------------------------
    @property
    def mutations(self) -> int:
        """Mutating calls that took effect so far."""
        return self.state.faults.mutations

    def arm_crash(self, after_mutations: int, hold_timeout: float = 60.0) -> None:
        """Hold the response of the ``after_mutations``-th mutating call from now on."""
        self.state.faults.arm_crash(after_mutations, hold_timeout)

    def wait_for_crash(self, timeout: float = 30.0) -> str | None:
        """Block until the armed call has taken effect; its ``service:Action`` (None on timeout)."""
        crash = self.state.faults.crash
        return crash.action if crash.reached.wait(timeout) else None

    def release_crash(self) -> None:
        self.state.faults.crash.released.set()

    # -- alarms and the autoscaler ------------------------------------------------------------
    def set_alarm_state(self, name: str, state: str, reason: str = "set by the emulator",
                        region: str | None = None, account: str = DEFAULT_ACCOUNT) -> None:
        """Exactly what SetAlarmState does (directly on the backend: works in the server too):
        the state holds until the alarm's next evaluation (within a minute), then the state its
        metric data gives applies again."""
        from moto.cloudwatch.models import cloudwatch_backends

        backend = cloudwatch_backends[account][region or self.region]
        if name not in backend.alarms:
            raise KeyError(f"no alarm {name!r}")
        backend.set_alarm_state(name, reason, "{}", state)

    def hold_alarm_state(self, name: str, state: str, region: str | None = None,
                         account: str = DEFAULT_ACCOUNT) -> None:
        """A fault, not an AWS behaviour: the alarm's metric behaves so that the alarm is in this
        state (ALARM: it keeps breaching; INSUFFICIENT_DATA: it stopped reporting; OK: it stays
        within the threshold) until released. The state applies at once and is announced like
        any state change, so a rollout watching the alarm reacts at that instant."""
        from sagemaker_emulator.cloudwatch import hold

        hold(account, region or self.region, name, state)

    def release_alarm_state(self, name: str, region: str | None = None,
                            account: str = DEFAULT_ACCOUNT) -> None:
        """End ``hold_alarm_state``: from its next evaluation the alarm follows its metric."""
        from sagemaker_emulator.cloudwatch import hold

        hold(account, region or self.region, name, None)

    def scale_variant(self, endpoint: str, variant: str, count: int,
                      region: str | None = None, account: str = DEFAULT_ACCOUNT) -> None:
        """What the autoscaler does: move a variant's instance count without UpdateEndpoint."""
        from sagemaker_emulator.sagemaker.store import hosting

        hosting(account, region or self.region).scale_variant(endpoint, variant, count)

    def scale_component(self, component: str, copies: int, region: str | None = None,
                        account: str = DEFAULT_ACCOUNT) -> None:
        """What the autoscaler does: move an inference component's desired copy count without
        an UpdateInferenceComponentRuntimeConfig of the owner's (copies that do not fit on the
        variant's instances stay pending)."""
        from sagemaker_emulator.sagemaker.components import scale_component

        scale_component(account, region or self.region, component, copies)

    def system_update(self, endpoint: str, seconds: float = 600.0, region: str | None = None,
                      account: str = DEFAULT_ACCOUNT) -> None:
        """SageMaker's own maintenance: ``endpoint`` is SystemUpdating for ``seconds``."""
        from sagemaker_emulator.sagemaker.store import hosting

        hosting(account, region or self.region).system_update(endpoint, seconds)

    def set_quota(self, instance_type: str, instances: int | None, region: str | None = None,
                  account: str = DEFAULT_ACCOUNT) -> None:
        """The account's quota '<instance_type> for endpoint usage' in the Region (None: no
        limit, the default). Exceeding it is ResourceLimitExceeded; ListServiceQuotas lists it."""
        from sagemaker_emulator.quotas import quotas

        limits = quotas(account, region or self.region)
        if instances is None:
            limits.pop(instance_type, None)
        else:
            limits[instance_type] = int(instances)

    def set_capacity_unavailable(self, instance_types: list[str] | tuple[str, ...] = ()) -> None:
        """From now on SageMaker has insufficient capacity (ICE) for ``instance_types`` (empty:
        every type is available again). New deployments fall back through a variant's
        instance pools in priority order, and fail when no type is left (rule 54)."""
        self.state.faults.unavailable_types = set(instance_types)

    def set_rollback_status(self, status: str) -> None:
        """The status DescribeEndpoint shows while a guardrail rollback runs. AWS documents none
        (sagemaker-rules.md rule 26), so tests run sagectl under each candidate."""
        from sagemaker_emulator.state import ROLLBACK_STATUSES

        if status not in ROLLBACK_STATUSES:
            raise ValueError(f"status is one of {', '.join(ROLLBACK_STATUSES)}")
        self.state.rollback_status = status

    # -- bookkeeping -----------------------------------------------------------------------
    @property
    def calls(self) -> Counter[tuple[str, str]]:
        """Calls served so far, by (service, Action); service names without hyphens
        (``applicationautoscaling``, ``resourcegroupstaggingapi``, ``sagemaker``)."""
        return self.state.calls

    def reset(self) -> None:
        """Empty emulated AWS and forget faults and counts."""
        from moto.core.base_backend import BackendDict

        BackendDict.reset()
        self.state.reset()


@contextmanager
def in_process(time_factor: float = 0.001, region: str = DEFAULT_REGION) -> Iterator[Emulator]:
    """An emulator in this process, empty at the start, gone at the end."""
    from moto import mock_aws

    install()
    saved = {k: os.environ.get(k) for k in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)
    STATE.reset()
    STATE.clock.unfreeze()
    STATE.clock.set_time_factor(time_factor)
    try:
        with mock_aws():
            yield Emulator(STATE, region=region)
    finally:
        STATE.reset()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


__all__ = ["DEFAULT_ACCOUNT", "DEFAULT_REGION", "Emulator", "in_process", "install"]
