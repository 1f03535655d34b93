"""``sagectl demo``: the whole story on an embedded emulator, narrated, in about a minute.

Every step runs sagectl's real commands (``main([...])``) against one emulator served in this
process (simulated time runs 1000x faster than the wall clock), and what the world does meanwhile
(a reviewer approving a model version, a bad model's 5xx errors reaching CloudWatch, someone
editing an endpoint by hand) goes through the emulated AWS APIs, and what only AWS does (the
autoscaler) through the emulator's controls; the guardrail alarms follow their metric data, as
CloudWatch's do. Each step checks that sagectl behaved as it should; the demo exits 0 only if
every one did, so it doubles as a smoke test.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from reconciler.demo_llm import llm_rollout as roll_out
from reconciler.demo_monitor import violation_in_drift
from reconciler.targets import EMULATOR_URL_VARIABLE, _emulator_aws

ENV, ACCOUNT, REGION = "dev", "111111111111", "eu-west-1"
ENDPOINT = "fraud-scorer"
ALARM = "fraud-scorer-5xx-errors"


class DemoFailed(Exception):
    """A step did not behave as it should (the message says how)."""


@dataclass
class Result:
    code: int
    out: str
    err: str

    def events(self) -> list[dict[str, Any]]:
        """``apply --json``'s events (stdout)."""
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]

    def outcomes(self) -> dict[str, str]:
        return {e["address"]: e["status"] for e in self.events() if e["event"] == "outcome"}


@dataclass
class Story:
    specs: Path
    emulator: Any
    out: IO[str]
    cli: Callable[[list[str]], int]
    """``sagectl``'s entry point (``reconciler.cli.main.main``), handed in by the command."""
    aws: Any = None
    passed: list[str] = field(default_factory=list)

    # -- running sagectl ------------------------------------------------------------------------
    def sagectl(self, *args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = self.cli(list(args))
        return Result(code, out.getvalue(), err.getvalue())

    def plan(self) -> dict[str, Any]:
        done = self.sagectl("plan", str(self.specs), "--env", ENV, "--format", "json")
        self.expect(done.code == 0, f"plan failed: {done.err.strip()}")
        return json.loads(done.out)  # type: ignore[no-any-return]

    def apply(self) -> Result:
        return self.sagectl("apply", str(self.specs), "--env", ENV, "--auto-approve", "--json",
                            "--poll-seconds", "5")

    # -- narration ------------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def step(self, title: str) -> None:
        self.say()
        self.say(f"== {len(self.passed) + 1}. {title}")

    def ok(self, what: str) -> None:
        self.passed.append(what)
        self.say(f"   ok: {what}")

    def expect(self, condition: bool, message: str) -> None:
        if not condition:
            raise DemoFailed(message)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.specs / relative
        text = path.read_text(encoding="utf-8")
        self.expect(old in text, f"{relative} does not contain {old!r}")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        self.say(f"   edit {relative}: {old.strip()} -> {new.strip()}")

    def endpoint(self) -> dict[str, Any]:
        return self.aws.client("sagemaker").describe_endpoint(  # type: ignore[no-any-return]
            EndpointName=ENDPOINT)

    def weights(self) -> dict[str, float]:
        return {v["VariantName"]: v["CurrentWeight"]
                for v in self.endpoint()["ProductionVariants"]}


def _change(plan: dict[str, Any], address: str) -> dict[str, Any]:
    found = [c for c in plan["resource_changes"] if c["address"] == address]
    if not found:
        raise DemoFailed(f"the plan has no change for {address}")
    return found[0]


def _summary(plan: dict[str, Any]) -> str:
    s = plan["summary"]
    errors = s.get("errors") or 0
    text = (f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to "
            f"replace, {s['delete']} to delete" + (
                f"; {errors} error{'' if errors == 1 else 's'}, nothing can be applied."
                if errors else "."))
    return text + (f" ({s['waiting']} waiting)" if s.get("waiting") else "")


LOOKAHEAD = 120.0
"""How far ahead of the clock the canary's error minutes are reported (CloudWatch accepts
datapoints up to two hours in the future), so the alarm fires even when the reporting thread runs
late on a busy machine."""


def _canary_errors(story: Story, stop: threading.Event) -> None:
    """What a bad model does in production: while its canary takes traffic, the endpoint answers
    25 requests a minute with a 5xx error, and CloudWatch receives them as one Invocation5XXErrors
    datapoint a minute, from the minute the canary started serving (its StartTime) up to
    ``LOOKAHEAD`` ahead of the clock. Once SageMaker has taken the traffic back, v8 serves nobody
    and no more errors are reported."""
    cw = story.aws.client("cloudwatch")
    since = None  # when the canary started taking traffic
    sent = 0
    while not stop.is_set():
        now = story.emulator.now()
        live = story.endpoint()
        variants = (live.get("PendingDeploymentSummary") or {}).get("ProductionVariants", [])
        steps = [s for v in variants for s in v.get("VariantStatus", [])
                 if s["Status"] in ("ActivatingTraffic", "Baking")]
        if live["EndpointStatus"] == "Updating" and steps:
            since = since or min(s["StartTime"].timestamp() for s in steps)
            while since + 60 * sent <= now + LOOKAHEAD:
                cw.put_metric_data(Namespace="AWS/SageMaker", MetricData=[{
                    "MetricName": "Invocation5XXErrors", "Value": 25.0, "Unit": "Count",
                    "Timestamp": datetime.fromtimestamp(since + 60 * sent, UTC),
                    "Dimensions": [{"Name": "EndpointName", "Value": ENDPOINT},
                                   {"Name": "VariantName", "Value": "primary"}]}])
                sent += 1
        elif since is not None:
            return
        stop.wait(0.01)


def _alarm_state(story: Story) -> str:
    found = story.aws.client("cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]
    return str(found[0]["StateValue"]) if found else "missing"


STEPS: list[Callable[[Story], None]] = []


def step(fn: Callable[[Story], None]) -> Callable[[Story], None]:
    STEPS.append(fn)
    return fn


@step
def validate(story: Story) -> None:
    story.step("Validate the example specs (offline)")
    done = story.sagectl("validate", str(story.specs))
    story.expect(done.code == 0, f"validate failed: {done.err.strip()}")
    for line in done.out.strip().splitlines():
        story.say(f"   {line.replace(str(story.specs), 'specs')}")
    story.ok("the specs are valid for dev and prod")


@step
def first_plan(story: Story) -> None:
    story.step("Plan dev against an empty account")
    plan = story.plan()
    story.say(f"   {_summary(plan)}")
    waiting = [c["address"] for c in plan["resource_changes"] if c["waits"]]
    for address in waiting:
        story.say(f"   waits: {address}: {_change(plan, address)['waits'][:90]}")
    story.expect(plan["summary"]["create"] == 21 and len(waiting) == 2,
                 f"expected 21 creates, 2 waiting; got {plan['summary']}")
    story.ok("21 resources to create; the registry-backed challenger waits for an approved model")


@step
def first_apply(story: Story) -> None:
    story.step("Apply: registry, pipeline (with its first run), models, endpoints, alarms, "
               "inference components")
    done = story.apply()
    outcomes = done.outcomes()
    applied = sorted(a for a, s in outcomes.items() if s == "applied")
    story.say(f"   applied: {', '.join(applied)}")
    story.expect(done.code == 6 and len(applied) == 15, f"expected exit 6 with 15 applied, got "
                                                       f"{done.code}: {outcomes}")
    runs = [e for e in done.events() if e["event"] == "verified"
            and e["address"] == "Pipeline.fraud-training"]
    story.expect(bool(runs), "the pipeline's first run was not verified")
    story.say(f"   {runs[0]['message']}")
    story.ok("15 applied; the fraud scorer, its challenger and its monitoring wait for the "
             "registry (exit 6: not everything could be applied)")


@step
def approve_and_apply(story: Story) -> None:
    story.step("A reviewer approves version 1 in the registry; apply deploys the fraud scorer")
    sm = story.aws.client("sagemaker")
    arn = sm.create_model_package(
        ModelPackageGroupName="fraud-models", ModelApprovalStatus="Approved",
        ModelPackageDescription="registered by fraud-training, approved by a reviewer",
        InferenceSpecification={
            "Containers": [{"Image": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/"
                                     "xgboost-inference:1.7-1",
                            "ModelDataUrl": "s3://acme-ml-artifacts-dev/fraud/models/1.tar.gz"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
    )["ModelPackageArn"]
    story.say(f"   approved {arn}")
    done = story.apply()
    story.expect(done.code == 0, f"apply exited {done.code}: {done.outcomes()}")
    live = story.endpoint()
    story.say(f"   {ENDPOINT}: {live['EndpointStatus']} on {live['EndpointConfigName']}")
    story.ok("the challenger runs the latest approved version; everything applied (exit 0)")


@step
def weights_only(story: Story) -> None:
    story.step("Shift 10% more traffic to the challenger: weights only, no new fleet")
    for old, new in (("90", "80"), ("10", "20")):
        story.edit("endpoints/fraud-scorer.yaml", f"initialVariantWeight: {old}",
                   f"initialVariantWeight: {new}")
    change = _change(story.plan(), f"Endpoint.{ENDPOINT}")
    ops = [s["op"] for s in change["steps"] if not s["op"].startswith("sagectl:")]
    story.say(f"   plan: {change['action_reason']}: {' -> '.join(ops)}")
    story.expect(change["action_reason"] == "weights_only" and
                 "sagemaker:UpdateEndpointWeightsAndCapacities" in ops and
                 "sagemaker:CreateEndpointConfig" not in ops,
                 f"expected a weights-only change, got {change['action_reason']}: {ops}")
    story.emulator.scale_variant(ENDPOINT, "primary", 3, region=REGION, account=ACCOUNT)
    story.say("   meanwhile the autoscaler scales the primary variant to 3 instances")
    done = story.apply()
    story.expect(done.code == 0 and story.weights() == {"primary": 80.0, "challenger": 20.0},
                 f"apply exited {done.code}; weights {story.weights()}")
    counts = {v["VariantName"]: v["CurrentInstanceCount"]
              for v in story.endpoint()["ProductionVariants"]}
    story.expect(counts["primary"] == 3, f"the autoscaled count was reset: {counts}")
    story.ok("UpdateEndpointWeightsAndCapacities; the fleet untouched, the autoscaler's 3 "
             "instances kept")


@step
def canary_rolls_back(story: Story) -> None:
    story.step("Deploy model v8 by canary while its errors fire the guardrail alarm")
    story.expect(_alarm_state(story) == "OK", f"{ALARM} should be OK by itself (no errors, "
                                              f"treatMissingData notBreaching): "
                                              f"{_alarm_state(story)}")
    before = story.endpoint()["EndpointConfigName"]
    story.edit("endpoints/fraud-scorer.yaml", "fraud-scorer/v7/model.tar.gz",
               "fraud-scorer/v8/model.tar.gz")
    change = _change(story.plan(), f"Endpoint.{ENDPOINT}")
    for line in change["consequences"]["summary"][:4]:
        story.say(f"   plan: {line[:110]}")
    story.say("   v8 answers 25 requests a minute with a 5xx error on its canary: CloudWatch gets "
              "them as Invocation5XXErrors datapoints")
    stop = threading.Event()
    watcher = threading.Thread(target=_canary_errors, args=(story, stop), daemon=True)
    watcher.start()
    try:
        done = story.apply()
    finally:
        stop.set()
        watcher.join(5)
    outcome = next((e for e in done.events() if e["event"] == "outcome"
                    and e["address"] == f"Endpoint.{ENDPOINT}"), {})
    story.say(f"   {outcome.get('status')}: {str(outcome.get('reason', ''))[:110]}")
    live = story.endpoint()
    story.expect(done.code == 4 and outcome.get("status") == "rolled_back",
                 f"expected exit 4 (rolled back), got {done.code}: {outcome}")
    story.expect(live["EndpointStatus"] == "InService" and live["EndpointConfigName"] == before,
                 f"the endpoint should serve its old config {before}: {live['EndpointStatus']} "
                 f"{live['EndpointConfigName']}")
    story.say(f"   {ENDPOINT} still serves {before}")
    story.emulator.advance(600)  # v8 serves nobody: no more errors
    story.expect(_alarm_state(story) == "OK", f"{ALARM} should be OK again once the errors "
                                              f"stopped: {_alarm_state(story)}")
    story.say(f"   ten minutes later: {ALARM} is OK again by itself")
    story.edit("endpoints/fraud-scorer.yaml", "fraud-scorer/v8/model.tar.gz",
               "fraud-scorer/v7/model.tar.gz")
    story.ok("rolled back automatically (exit 4); the team reverts the spec")


@step
def hand_edit_is_drift(story: Story) -> None:
    story.step("Someone shifts traffic by hand in the console: drift")
    story.aws.client("sagemaker").update_endpoint_weights_and_capacities(
        EndpointName=ENDPOINT, DesiredWeightsAndCapacities=[
            {"VariantName": "challenger", "DesiredWeight": 50}])
    story.emulator.advance(600)
    done = story.sagectl("drift", str(story.specs), "--env", ENV, "--format", "json",
                         "--detailed-exitcode")
    report = json.loads(done.out)
    found = next((i for i in report["drift"] if i["address"] == f"Endpoint.{ENDPOINT}"
                  and i["class"] == "out_of_band"), {})
    for info in report["drift"]:
        if info["class"] == "autoscaler":
            story.say(f"   autoscaler (information): {info['reason'][:100]}")
    for d in found.get("diff", []):
        story.say(f"   out_of_band: {d['path']}: live {d['live']}, spec {d['spec']}")
    story.expect(done.code == 2 and found.get("class") == "out_of_band",
                 f"expected out_of_band with exit 2, got {done.code}: {report['summary']}")
    story.ok("drift reports out_of_band (exit 2 with --detailed-exitcode)")


@step
def heal(story: Story) -> None:
    story.step("Heal: drift --heal puts the spec back, through the guarded apply")
    done = story.sagectl("drift", str(story.specs), "--env", ENV, "--heal",
                         "--detailed-exitcode", "--poll-seconds", "5")
    story.say(f"   {done.err.strip().splitlines()[-1] if done.err.strip() else ''}")
    story.say(f"   {done.out.strip().splitlines()[-1]}")
    story.expect(done.code == 0 and story.weights() == {"primary": 80.0, "challenger": 20.0},
                 f"heal exited {done.code}; weights {story.weights()}")
    counts = {v["VariantName"]: v["CurrentInstanceCount"]
              for v in story.endpoint()["ProductionVariants"]}
    story.expect(counts["primary"] == 3, f"heal reset the autoscaled count: {counts}")
    story.ok("healed; no actionable drift left, the autoscaler's count kept")


@step
def llm_rollout(story: Story) -> None:
    roll_out(story, REGION, ACCOUNT)


@step
def monitor_violation(story: Story) -> None:
    violation_in_drift(story)


def run(specs: Path, cli: Callable[[list[str]], int], out: IO[str] | None = None,
        keep: Path | None = None) -> int:
    """Run every step through ``cli`` (sagectl's entry point); 0 only if all behaved as
    expected. The emulator is imported here: it is an optional extra."""
    from sagemaker_emulator import Emulator
    from sagemaker_emulator.server import EmulatorServer
    from sagemaker_emulator.state import STATE

    out = out or sys.stdout
    work = Path(tempfile.mkdtemp(prefix="sagectl-demo-")) if keep is None else keep
    shutil.copytree(specs, work / "specs", dirs_exist_ok=True)
    (work / ".git").mkdir(exist_ok=True)  # the copy is its own repository root
    started = time.monotonic()
    old_url = os.environ.get(EMULATOR_URL_VARIABLE)
    out.write("sagectl demo: the example estate on an embedded emulator (no AWS account; "
              "simulated time runs 1000x faster)\n")
    try:
        with EmulatorServer(port=0, time_factor=0.001) as url:
            os.environ[EMULATOR_URL_VARIABLE] = url
            story = Story(work / "specs", Emulator(STATE), out, cli,
                          _emulator_aws(url, REGION, ACCOUNT, 4))
            try:
                for fn in STEPS:
                    fn(story)
            except DemoFailed as failed:
                out.write(f"   FAILED: {failed}\n\nsagectl demo: step "
                          f"{len(story.passed) + 1} did not behave as expected.\n")
                return 1
            finally:
                story.aws.close()
    finally:
        if old_url is None:
            os.environ.pop(EMULATOR_URL_VARIABLE, None)
        else:
            os.environ[EMULATOR_URL_VARIABLE] = old_url
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    out.write(f"\nsagectl demo: all {len(STEPS)} steps behaved as expected "
              f"({time.monotonic() - started:.0f} s).\n")
    return 0
