"""``sagectl drift`` against the emulator: every class from a real cause, and heal.

Each test starts from the base estate applied by sagectl (``estate``), makes one thing happen in
"AWS" (a hand edit, the autoscaler, SageMaker's own maintenance, a rolled-back deploy, ...) and
checks the class, the diff, what is actionable, and what --heal does and does not touch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.cli.registry import KINDS
from reconciler.drift.classify import DriftReport
from reconciler.drift.render import markdown, text
from reconciler.drift.run import drift, drift_and_heal
from reconciler.spec.load import load_specs
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context
from tests.apply.test_apply import ACCOUNT, REGION, describe, estate, new_model
from tests.plan.helpers import aws_for

__all__ = ["estate"]  # the fixture, used by name


def run_drift(emu: Emulator, specs: Path) -> DriftReport:
    actx = context(emu)
    try:
        return drift(load_specs(specs, KINDS, "dev"), actx.aws, actx.state, specs.parent)
    finally:
        actx.aws.close()


def heal(emu: Emulator, specs: Path) -> tuple[DriftReport, Any, DriftReport]:
    actx = context(emu)
    try:
        return drift_and_heal(actx, load_specs(specs, KINDS, "dev"), specs.parent)
    finally:
        actx.aws.close()


def classes(report: DriftReport) -> dict[str, str]:
    return {i.address: i.drift_class for i in report.items}


def weights(emu: Emulator) -> dict[str, float]:
    return {v["VariantName"]: v["CurrentWeight"] for v in describe(emu)["ProductionVariants"]}


def hand_edit_weights(emu: Emulator) -> None:
    aws = aws_for(emu)
    aws.client("sagemaker").update_endpoint_weights_and_capacities(
        EndpointName="scorer", DesiredWeightsAndCapacities=[
            {"VariantName": "challenger", "DesiredWeight": 50}])
    aws.close()
    emu.advance(600)


def test_a_converged_estate_has_no_drift(emu: Emulator, estate: Callable[..., Path]) -> None:
    report = run_drift(emu, estate())
    assert report.items == [] and not report.actionable
    assert text(report).endswith("No drift.\n")


def foreign_alarm(put: Callable[..., Any], env: str | None = None) -> None:
    """An alarm named like the specs' one, made by hand (or, with ``env``, by sagectl for another
    environment): the plan cannot take it (an error)."""
    tags = [{"Key": "sagectl:managed-by", "Value": "sagectl"},
            {"Key": "sagectl:env", "Value": env}] if env else []
    put(AlarmName="scorer-errors", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "EndpointName", "Value": "scorer"}], Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=5.0, ComparisonOperator="GreaterThanThreshold",
        Tags=tags)


def test_a_report_with_errors_never_says_no_drift(emu: Emulator, tmp_path: Path) -> None:
    """The alarm of the specs exists, managed for another environment: it cannot be checked,
    and the report says so in its last line, not "No drift."."""
    from tests.kinds.endpoint.test_plan_changes import ALARM
    from tests.plan.helpers import write

    aws = aws_for(emu)
    foreign_alarm(aws.client("cloudwatch").put_metric_alarm, env="prod")
    aws.close()
    report = run_drift(emu, write(tmp_path, {"alarm.yaml": ALARM}))
    assert report.items == [] and len(report.problems) == 1, report.problems
    assert report.problems[0].startswith("Alarm.scorer-errors: ")
    last = "No drift found, but 1 error: what it concerns could not be checked."
    assert text(report).endswith(f"\n{last}\n"), text(report)
    assert f"**{last}**" in markdown(report)


def test_hand_edit_is_out_of_band_and_heal_restores_it(emu: Emulator,
                                                       estate: Callable[..., Path]) -> None:
    specs = estate()
    hand_edit_weights(emu)
    report = run_drift(emu, specs)
    assert classes(report) == {"Endpoint.scorer": "out_of_band"}
    (item,) = report.items
    assert [(d.path, d.before, d.after) for d in item.diff] == [
        ("productionVariants[challenger].initialVariantWeight", 50.0, 10.0)]
    assert report.actionable
    assert "| `out_of_band` | `Endpoint.scorer` |" in markdown(report)
    before, result, after = heal(emu, specs)
    assert classes(before) == {"Endpoint.scorer": "out_of_band"}
    assert result is not None and [o.status for o in result.outcomes] == ["applied"]
    assert after.items == []
    assert weights(emu) == {"primary": 90.0, "challenger": 10.0}


def test_autoscaled_capacity_is_information_never_healed(emu: Emulator,
                                                         estate: Callable[..., Path]) -> None:
    specs = estate()
    emu.scale_variant("scorer", "primary", 5, region=REGION, account=ACCOUNT)
    report = run_drift(emu, specs)
    assert classes(report) == {"Endpoint.scorer": "autoscaler"}
    assert not report.actionable
    assert "primary runs 5 instance(s)" in report.items[0].reason
    _, result, _ = heal(emu, specs)
    assert result is None  # nothing healable
    counts = {v["VariantName"]: v["CurrentInstanceCount"]
              for v in describe(emu)["ProductionVariants"]}
    assert counts["primary"] == 5


def test_system_updating_is_information(emu: Emulator, estate: Callable[..., Path]) -> None:
    specs = estate()
    emu.freeze()  # the update lasts until advanced past, however long the drift run takes
    emu.system_update("scorer", 3600, region=REGION, account=ACCOUNT)
    report = run_drift(emu, specs)
    assert classes(report) == {"Endpoint.scorer": "system"}
    assert not report.actionable
    emu.advance(3700)
    assert run_drift(emu, specs).items == []


def test_a_deleted_alarm_is_missing_and_healed(emu: Emulator,
                                               estate: Callable[..., Path]) -> None:
    specs = estate()
    aws = aws_for(emu)
    aws.client("cloudwatch").delete_alarms(AlarmNames=["scorer-errors"])
    aws.close()
    assert classes(run_drift(emu, specs)) == {"Alarm.scorer-errors": "missing"}
    _, result, after = heal(emu, specs)
    assert result is not None and after.items == []
    aws = aws_for(emu)
    assert aws.client("cloudwatch").describe_alarms(
        AlarmNames=["scorer-errors"])["MetricAlarms"]
    aws.close()


def test_an_unapplied_spec_change_is_pending_and_not_healed(
        emu: Emulator, estate: Callable[..., Path]) -> None:
    specs = estate(new_model())
    report = run_drift(emu, specs)
    assert classes(report) == {"Model.scorer-model": "pending", "Endpoint.scorer": "pending"}
    assert report.actionable
    config = describe(emu)["EndpointConfigName"]
    _, result, _ = heal(emu, specs)
    assert result is None
    assert describe(emu)["EndpointConfigName"] == config  # drift never deploys a spec change


def test_a_rolled_back_deploy_is_a_failed_deployment_and_heal_never_retries_it(
        emu: Emulator, estate: Callable[..., Path]) -> None:
    specs = estate(new_model())
    old_config = describe(emu)["EndpointConfigName"]
    emu.fail_next_update("scorer", "silent_rollback")
    run = apply(emu, specs)
    assert run.result is not None and run.result.worst == "rolled_back"
    report = run_drift(emu, specs)
    assert classes(report)["Endpoint.scorer"] == "failed_deployment"
    assert "quarantined after a rollback" in next(
        i.reason for i in report.items if i.address == "Endpoint.scorer")
    # someone also hand-edits the weights: heal still must not touch the quarantined endpoint
    hand_edit_weights(emu)
    before, _result, after = heal(emu, specs)
    assert classes(before)["Endpoint.scorer"] == "failed_deployment"
    assert describe(emu)["EndpointConfigName"] == old_config
    assert classes(after)["Endpoint.scorer"] == "failed_deployment"


def test_update_rollback_failed_is_a_failed_deployment(emu: Emulator,
                                                       estate: Callable[..., Path]) -> None:
    specs = estate()
    emu.fail_next_update("scorer", "rollback_failed")
    aws = aws_for(emu)
    sm = aws.client("sagemaker")
    live = sm.describe_endpoint(EndpointName="scorer")
    sm.update_endpoint(EndpointName="scorer", EndpointConfigName=live["EndpointConfigName"],
                       RetainAllVariantProperties=True)
    aws.close()
    emu.advance(7200)
    report = run_drift(emu, specs)
    assert classes(report) == {"Endpoint.scorer": "failed_deployment"}
    assert "UpdateRollbackFailed" in report.items[0].reason


def test_a_resource_sagectl_does_not_own_is_unmanaged(emu: Emulator,
                                                      estate: Callable[..., Path]) -> None:
    specs = estate()
    aws = aws_for(emu)
    aws.client("cloudwatch").put_metric_alarm(
        AlarmName="hand-made", Namespace="AWS/SageMaker", MetricName="Invocations",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanThreshold")
    aws.close()
    (specs / "extra.yaml").write_text(
        "apiVersion: sagectl/v1\nkind: Alarm\nmetadata: {name: hand-made}\nspec:\n"
        "  namespace: AWS/SageMaker\n  metricName: Invocations\n  statistic: Sum\n"
        "  period: 60\n  evaluationPeriods: 1\n  threshold: 1\n"
        "  comparisonOperator: GreaterThanThreshold\n")
    report = run_drift(emu, specs)
    assert classes(report) == {"Alarm.hand-made": "unmanaged"}
    assert "sagectl import" in report.items[0].reason
    _, result, _ = heal(emu, specs)
    assert result is None


def test_drift_describes_no_endpoint_beyond_the_plans_reads(
        emu: Emulator, estate: Callable[..., Path]) -> None:
    """Statuses and counts come from the DescribeEndpoint the plan made (the endpoint kind
    records them while planning), not from a second round of reads: the autoscaler's count and
    SageMaker's own activity are classified with one DescribeEndpoint per endpoint spec."""
    specs = estate()
    emu.scale_variant("scorer", "primary", 5, region=REGION, account=ACCOUNT)
    emu.system_update("scorer", 3600, region=REGION, account=ACCOUNT)
    actx = context(emu)
    try:
        report = drift(load_specs(specs, KINDS, "dev"), actx.aws, actx.state, specs.parent)
        made = dict(actx.aws.calls)
    finally:
        actx.aws.close()
    assert sorted(i.drift_class for i in report.items) == ["autoscaler", "system"]
    assert report.plan.reads["sagemaker:DescribeEndpoint"] == 1  # the plan's: one endpoint
    assert made["sagemaker:DescribeEndpoint"] == report.plan.reads["sagemaker:DescribeEndpoint"]
