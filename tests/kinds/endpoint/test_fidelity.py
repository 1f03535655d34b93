"""What sagectl does where AWS behaves as docs/sagemaker-rules.md says (rules 18, 19, 21, 26):
no guardrail promised that AWS skips, a busy endpoint waited out on every path (replace, prune,
undo), a deployment timeout reported as the rollback it is, whatever status AWS shows while it
rolls back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.context import APPLIED, ROLLED_BACK
from reconciler.apply.stage import ApplyRun
from sagemaker_emulator import Emulator
from sagemaker_emulator.state import ROLLBACK_STATUSES
from tests.apply.helpers import apply, context, statuses, targets
from tests.kinds.endpoint.test_plan_changes import ALARM, ENDPOINT, IMAGE, MODEL, ROLE
from tests.plan.helpers import aws_for, plan, write

ACCOUNT, REGION = "111111111111", "eu-west-1"
UNBAKED = ENDPOINT.replace("bake: {durationInSeconds: 60}", "bake: {durationInSeconds: 0}")
BASE = {"model.yaml": MODEL, "alarm.yaml": ALARM, "endpoint.yaml": UNBAKED}
NEW_MODEL = {"model.yaml": MODEL.replace(":1\n", ":2\n")}


def endpoint(emu: Emulator, name: str = "scorer") -> dict[str, Any] | None:
    """DescribeEndpoint in the estate's account (None: there is none)."""
    aws = aws_for(emu)
    try:
        found = aws.client("sagemaker").list_endpoints(NameContains=name)["Endpoints"]
        if not any(e["EndpointName"] == name for e in found):
            return None
        return aws.client("sagemaker").describe_endpoint(EndpointName=name)  # type: ignore[no-any-return]
    finally:
        aws.close()


def outcome(run: ApplyRun, address: str = "Endpoint.scorer") -> Any:
    assert run.result is not None
    return {o.address: o for o in run.result.outcomes}[address]


def system_update_before(emu: Emulator, action: str, skip: int = 0) -> None:
    """SageMaker starts maintaining the endpoint just before sagectl's ``action`` reaches it."""
    emu.before_call("sagemaker", action, lambda: emu.system_update(
        "scorer", 600, region=REGION, account=ACCOUNT), skip=skip)


@pytest.fixture
def estate(emu: Emulator, tmp_path: Path) -> Callable[..., Path]:
    """The base estate applied by sagectl; returns ``edit(files, prune=False) -> specs``."""
    run = apply(emu, write(tmp_path, BASE))
    assert set(statuses(run).values()) == {APPLIED}, run.result

    def edit(changes: dict[str, str | None] | None = None, prune: bool = False) -> Path:
        files = {**BASE, **(changes or {})}
        return write(tmp_path, {k: v for k, v in files.items() if v is not None}, prune)

    return edit


# -- rule 19: a busy endpoint is waited out, never a half-done change -------------------------

def test_rule_19_prune_waits_out_a_busy_endpoint(emu: Emulator, estate: Any) -> None:
    system_update_before(emu, "DeleteEndpoint")
    run = apply(emu, estate({"endpoint.yaml": None}, prune=True))
    assert outcome(run).status == APPLIED, outcome(run)
    assert emu.calls[("sagemaker", "DeleteEndpoint")] == 2  # refused once, then done
    assert endpoint(emu) is None


def test_rule_19_replace_waits_out_a_busy_endpoint(emu: Emulator, estate: Any) -> None:
    serverless = """
        apiVersion: sagectl/v1
        kind: Endpoint
        metadata: {name: scorer}
        spec:
          productionVariants:
            - variantName: primary
              modelName: scorer-model
              serverlessConfig: {memorySizeInMB: 2048, maxConcurrency: 5}
          allowReplacement: true
        """
    system_update_before(emu, "DeleteEndpoint")
    run = apply(emu, estate({"endpoint.yaml": serverless}))
    assert outcome(run).status == APPLIED, outcome(run)
    assert emu.calls[("sagemaker", "DeleteEndpoint")] == 2
    live = endpoint(emu)
    assert live is not None and live["EndpointStatus"] == "InService"
    assert "CurrentServerlessConfig" in live["ProductionVariants"][0]


def test_rule_19_rollback_waits_out_a_busy_endpoint(emu: Emulator, estate: Any) -> None:
    """The deploy succeeds, a later step fails (AddTags answers 500 every time), and just as
    sagectl puts the old config back SageMaker starts maintaining the endpoint."""
    old = endpoint(emu)["EndpointConfigName"]  # type: ignore[index]
    emu.inject("5xx", "sagemaker", "AddTags", times=20)
    system_update_before(emu, "UpdateEndpoint", skip=1)
    run = apply(emu, estate(NEW_MODEL))
    result = outcome(run)
    assert result.status == ROLLED_BACK, result
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 3  # deploy, refused undo, undo
    live = endpoint(emu)
    assert live is not None
    assert (live["EndpointStatus"], live["EndpointConfigName"]) == ("InService", old)


def test_rule_19_update_waits_out_a_busy_endpoint(emu: Emulator, estate: Any) -> None:
    system_update_before(emu, "UpdateEndpoint")
    run = apply(emu, estate(NEW_MODEL))
    assert outcome(run).status == APPLIED, outcome(run)
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 2


# -- rule 21: a deployment past MaximumExecutionTimeoutInSeconds is rolled back ----------------

def test_rule_21_a_timed_out_deployment_is_reported_rolled_back(emu: Emulator,
                                                                estate: Any) -> None:
    """The waits (290 s) fit the 600 s timeout, provisioning the new fleet does not."""
    old = endpoint(emu)["EndpointConfigName"]  # type: ignore[index]
    tight = (UNBAKED.replace("waitIntervalInSeconds: 300", "waitIntervalInSeconds: 290")
             .replace("terminationWaitInSeconds: 120", "terminationWaitInSeconds: 0")
             .replace("maximumExecutionTimeoutInSeconds: 3600",
                      "maximumExecutionTimeoutInSeconds: 600"))
    run = apply(emu, estate({**NEW_MODEL, "endpoint.yaml": tight}))
    result = outcome(run)
    assert result.status == ROLLED_BACK, result
    assert "rolled the update back" in result.reason
    assert "MaximumExecutionTimeoutInSeconds (600 s)" in result.reason
    assert endpoint(emu)["EndpointConfigName"] == old  # type: ignore[index]


# -- rule 26: whatever status SageMaker shows while it rolls back -----------------------------

@pytest.mark.parametrize("shown", ROLLBACK_STATUSES)
def test_rule_26_a_sagemaker_rollback_is_reported_under_either_status(
        emu: Emulator, estate: Any, shown: str) -> None:
    old = endpoint(emu)["EndpointConfigName"]  # type: ignore[index]
    emu.set_rollback_status(shown)
    emu.fail_next_update("scorer", "silent_rollback", "new fleet failed its health checks")
    run = apply(emu, estate(NEW_MODEL))
    result = outcome(run)
    assert result.status == ROLLED_BACK and "health checks" in result.reason, result
    live = endpoint(emu)
    assert live is not None
    assert (live["EndpointStatus"], live["EndpointConfigName"]) == ("InService", old)


# -- rule 18: the plan never states a guardrail AWS will not run ------------------------------

SINGLE = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: vendor}
spec:
  productionVariants:
    - {variantName: main, modelName: vendor-model, instanceType: %(type)s,
       initialInstanceCount: 4%(extra)s}
%(deployment)s
"""
ALL_AT_ONCE = """  deploymentConfig:
    blueGreenUpdatePolicy:
      trafficRoutingConfiguration: {type: ALL_AT_ONCE, waitIntervalInSeconds: 0}
"""
CANARY = """  deploymentConfig:
    blueGreenUpdatePolicy:
      trafficRoutingConfiguration:
        type: CANARY
        canarySize: {type: INSTANCE_COUNT, value: 1}
        waitIntervalInSeconds: 300
"""


def _vendor_estate(emu: Emulator, tmp_path: Path, model: str, instance: str,
                   deployment: str) -> Callable[[str], Path]:
    """A single-variant endpoint on ``model``, applied; returns ``update(deployment)``, which
    writes the specs with a new volume size (a new endpoint config) and that deployment."""
    def files(extra: str, policy: str) -> dict[str, str]:
        return {"model.yaml": model, "endpoint.yaml": SINGLE % {
            "type": instance, "extra": extra, "deployment": policy}}

    run = apply(emu, write(tmp_path, files("", deployment)))
    assert statuses(run) == {"Model.vendor-model": APPLIED, "Endpoint.vendor": APPLIED}, \
        run.result
    return lambda policy: write(tmp_path, files(", volumeSizeInGB: 30", policy))


def test_rule_18_a_marketplace_container_gets_no_guardrails_in_the_plan(
        emu: Emulator, tmp_path: Path) -> None:
    aws = aws_for(emu)
    try:
        sm = aws.client("sagemaker")
        sm.create_model_package_group(ModelPackageGroupName="vendor-listing")
        package = sm.create_model_package(
            ModelPackageGroupName="vendor-listing", ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [{"Image": f"{IMAGE}:vendor", "ProductId": "prod-4zxwtqmbvpjcy"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    finally:
        aws.close()
    model = f"""
        apiVersion: sagectl/v1
        kind: Model
        metadata: {{name: vendor-model}}
        spec:
          executionRoleArn: {ROLE}
          primaryContainer: {{modelPackageName: "{package}"}}
          enableNetworkIsolation: true
        """
    update = _vendor_estate(emu, tmp_path, model, "ml.m5.large", "")
    guarded = plan(emu, update(CANARY))
    change = next(c for c in guarded.resource_changes if c.address == "Endpoint.vendor")
    assert change.consequences["strategy"] == \
        "blue/green all at once, no baking (AWS exclusion: Marketplace container)"
    errors = [p.message for p in guarded.problems if p.severity == "error"]
    assert any("deploymentConfig asks for CANARY traffic shifting, a baking period of 300 s, "
               "but variant 'main' uses model 'vendor-model', a Marketplace product (product "
               f"prod-4zxwtqmbvpjcy via {package})" in e for e in errors), errors
    honest = plan(emu, update(ALL_AT_ONCE))
    assert not [p for p in honest.problems if p.severity == "error"], honest.problems
    change = next(c for c in honest.resource_changes if c.address == "Endpoint.vendor")
    assert "AWS exclusion: Marketplace container" in change.consequences["strategy"]


def test_rule_18_an_inf1_endpoint_plans_all_at_once_without_baking(emu: Emulator,
                                                                    tmp_path: Path) -> None:
    model = MODEL.replace("scorer-model", "vendor-model")
    update = _vendor_estate(emu, tmp_path, model, "ml.inf1.xlarge", ALL_AT_ONCE)
    change = next(c for c in plan(emu, update(ALL_AT_ONCE)).resource_changes
                  if c.address == "Endpoint.vendor")
    summary = "\n".join(change.consequences["summary"])
    assert ("strategy: blue/green all at once, no baking (AWS exclusion: Inf1): provision a new "
            "fleet of 4 instance(s) next to the current one -> all traffic on the new fleet -> "
            "terminate the old fleet (no baking period)") in summary


# -- rule 20: instance quotas -------------------------------------------------------------------

def _state(emu: Emulator) -> Any:
    return context(emu).state


def _configs_and_models(emu: Emulator) -> tuple[list[str], list[str]]:
    aws = aws_for(emu)
    try:
        sm = aws.client("sagemaker")
        return (sorted(c["EndpointConfigName"] for c in sm.list_endpoint_configs()[
                    "EndpointConfigs"]),
                sorted(m["ModelName"] for m in sm.list_models()["Models"]))
    finally:
        aws.close()


def test_rule_20_a_deploy_beyond_the_quota_fails_with_nothing_left_behind(
        emu: Emulator, estate: Any) -> None:
    """4 x ml.m5.large run; a blue/green deploy needs 4 more, the quota is 6."""
    before = _configs_and_models(emu)
    old = endpoint(emu)["EndpointConfigName"]  # type: ignore[index]
    emu.set_quota("ml.m5.large", 6, region=REGION, account=ACCOUNT)
    run = apply(emu, estate(NEW_MODEL))
    result = outcome(run)
    assert result.status == "failed"
    assert "AWS refused UpdateEndpoint for an instance quota (ResourceLimitExceeded: The " \
           "account-level service limit 'ml.m5.large for endpoint usage' is 6 Instances" \
           in result.reason
    assert "at its peak this change needs 8 x ml.m5.large (4 running + 4 new)" in result.reason
    assert "Request an increase of 'ml.m5.large for endpoint usage' in Service Quotas" \
           in result.reason and result.reason.endswith("nothing was changed")
    assert emu.calls[("sagemaker", "UpdateEndpoint")] == 1  # never retried
    assert _configs_and_models(emu) == before  # new config and new model undone
    assert outcome(run, "Model.scorer-model").status == ROLLED_BACK
    live = endpoint(emu)
    assert live is not None and (live["EndpointStatus"], live["EndpointConfigName"]) == (
        "InService", old)
    state = _state(emu)
    assert state.journal("scorer") is None and state.quarantined("scorer") is None


def test_rule_20_autoscaling_deregistered_for_the_deploy_comes_back(emu: Emulator,
                                                                    estate: Any) -> None:
    """Changing the autoscaled variant's instance type deregisters its target first (rule 8);
    the quota refusal that follows must register it again."""
    emu.set_quota("ml.m5.xlarge", 1, region=REGION, account=ACCOUNT)
    bigger = UNBAKED.replace("instanceType: ml.m5.large\n      initialInstanceCount: 2\n"
                             "      initialVariantWeight: 90",
                             "instanceType: ml.m5.xlarge\n      initialInstanceCount: 2\n"
                             "      initialVariantWeight: 90")
    assert bigger != UNBAKED
    run = apply(emu, estate({"endpoint.yaml": bigger}))
    result = outcome(run)
    assert result.status == "failed" and "2 x ml.m5.xlarge (0 running + 2 new)" in result.reason
    assert emu.calls[("applicationautoscaling", "DeregisterScalableTarget")] == 1
    assert targets(emu) == {"endpoint/scorer/variant/primary": (2, 6)}
    aws = aws_for(emu)
    try:
        policies = aws.client("application-autoscaling").describe_scaling_policies(
            ServiceNamespace="sagemaker")["ScalingPolicies"]
    finally:
        aws.close()
    assert [p["PolicyName"] for p in policies] == ["invocations"]


def test_rule_20_the_plan_warns_when_a_change_exceeds_the_quota(emu: Emulator,
                                                                 estate: Any) -> None:
    specs = estate(NEW_MODEL)
    assert not [p for p in plan(emu, specs).problems if "quota" in p.message]
    emu.set_quota("ml.m5.large", 6, region=REGION, account=ACCOUNT)
    warned = [p for p in plan(emu, specs).problems if "quota" in p.message]
    assert [(p.address, p.severity) for p in warned] == [("Endpoint.scorer", "warning")]
    assert warned[0].message.startswith(
        "at its peak this change runs 8 x ml.m5.large (4 running + 4 new), more than the "
        "account's quota 'ml.m5.large for endpoint usage' of 6 in eu-west-1")
    emu.inject("denied", "service-quotas", "ListServiceQuotas", times=5)
    quiet = plan(emu, specs)  # no permission to read quotas: no warning, never an error
    assert not [p for p in quiet.problems if "quota" in p.message]
    assert not quiet.errors


# -- rule 5: capacity of one variant per UpdateEndpointWeightsAndCapacities --------------------

TWO = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: pair}
spec:
  productionVariants:
    - {variantName: a, modelName: scorer-model, instanceType: ml.m5.large,
       initialInstanceCount: %(a)d, initialVariantWeight: %(wa)d}
    - {variantName: b, modelName: scorer-model, instanceType: ml.m5.large,
       initialInstanceCount: %(b)d, initialVariantWeight: 1}
"""


def test_rule_5_count_changes_of_two_variants_take_two_calls(emu: Emulator,
                                                               tmp_path: Path) -> None:
    run = apply(emu, write(tmp_path, {"model.yaml": MODEL,
                                      "endpoint.yaml": TWO % {"a": 2, "b": 2, "wa": 1}}))
    assert set(statuses(run).values()) == {APPLIED}
    specs = write(tmp_path, {"model.yaml": MODEL, "endpoint.yaml": TWO % {"a": 3, "b": 4,
                                                                          "wa": 2}})
    change = next(c for c in plan(emu, specs).resource_changes if c.address == "Endpoint.pair")
    calls = [s.params["DesiredWeightsAndCapacities"] for s in change.steps
             if s.op == "sagemaker:UpdateEndpointWeightsAndCapacities"]
    assert calls == [[{"VariantName": "a", "DesiredWeight": 2.0, "DesiredInstanceCount": 3}],
                     [{"VariantName": "b", "DesiredInstanceCount": 4}]]
    run = apply(emu, specs)
    assert statuses(run) == {"Endpoint.pair": APPLIED}, run.result
    live = {v["VariantName"]: v for v in endpoint(emu, "pair")["ProductionVariants"]}  # type: ignore[index]
    assert (live["a"]["CurrentInstanceCount"], live["b"]["CurrentInstanceCount"],
            live["a"]["CurrentWeight"]) == (3, 4, 2.0)
