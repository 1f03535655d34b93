"""``sagectl import ENDPOINT`` with the monitoring schedules that watch the endpoint: each gets a
MonitoringSchedule document and the job definition it runs a document of its kind (a definition
sagectl made: its spec name back; one made by hand: its own name, annotated), in the endpoint's
file; adopted, the specs plan ``No changes.``. Built with boto3 alone, imported through the CLI
against the in-process emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sagemaker_emulator import Emulator
from tests.apply.helpers import apply
from tests.emulator.monitoring_helpers import definition
from tests.emulator.monitoring_helpers import schedule as create_schedule
from tests.importer.test_import import arn, sagectl, tags_of
from tests.kinds.monitoring_job.helpers import live_definitions
from tests.kinds.monitoring_schedule.helpers import estate, schedule, sm
from tests.plan.helpers import IMAGE, ROLE, write

Cli = Callable[..., tuple[int, str, str]]
ENDPOINT = "fraud"
PENDING = 100_000
"""Simulated seconds past every Creating/Pending state of the emulator."""


def build_by_hand(emu: Emulator) -> Any:
    """An endpoint that captures data, a data quality definition and a model quality one made
    by hand, an hourly schedule on the first and a daily one, stopped, on the second. Simulated
    time moves only by ``advance`` from here."""
    emu.freeze()
    client = sm(emu)
    client.create_model(ModelName="fraud-by-hand", ExecutionRoleArn=ROLE,
                        PrimaryContainer={"Image": f"{IMAGE}:1"})
    client.create_endpoint_config(
        EndpointConfigName="fraud-config", ProductionVariants=[{
            "VariantName": "main", "ModelName": "fraud-by-hand", "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 20,
                           "DestinationS3Uri": "s3://bucket/capture/",
                           "CaptureOptions": [{"CaptureMode": "Input"},
                                              {"CaptureMode": "Output"}]})
    client.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="fraud-config")
    emu.advance(PENDING)
    definition(client, "legacy-dq", "DataQuality", ENDPOINT,
               Tags=[{"Key": "team", "Value": "risk"}])
    definition(client, "legacy-mq", "ModelQuality", ENDPOINT)
    create_schedule(client, "fraud-dq", "legacy-dq", "DataQuality",
                    Tags=[{"Key": "team", "Value": "risk"}])
    create_schedule(client, "fraud-mq", "legacy-mq", "ModelQuality", "cron(0 3 ? * * *)")
    emu.advance(PENDING)
    client.stop_monitoring_schedule(MonitoringScheduleName="fraud-mq")
    return client


def imported(specs: Path) -> str:
    return (specs / "imported" / f"{ENDPOINT}.yaml").read_text()


def no_changes(cli: Cli, specs: Path) -> None:
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev", "--detailed-exitcode")
    assert (code, out.splitlines()[-1]) == (0, "No changes."), out + err


def test_schedules_and_their_definitions_import_and_plan_no_changes(cli: Cli, emu: Emulator,
                                                                     tmp_path: Path) -> None:
    client = build_by_hand(emu)
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    text = imported(specs)
    for expected in (
            "kind: DataQualityJobDefinition\nmetadata:\n  name: legacy-dq\n"
            "  annotations: {sagectl.io/aws-name: legacy-dq}",
            "kind: ModelQualityJobDefinition\nmetadata:\n  name: legacy-mq\n"
            "  annotations: {sagectl.io/aws-name: legacy-mq}",
            "kind: MonitoringSchedule\nmetadata: {name: fraud-dq}\nspec:\n"
            "  monitoringScheduleConfig:\n"
            '    scheduleConfig: {scheduleExpression: "cron(0 * ? * * *)"}\n'
            "    monitoringJobDefinitionName: legacy-dq\n    monitoringType: DataQuality\n"
            "  tags: {team: risk}",
            "kind: MonitoringSchedule\nmetadata: {name: fraud-mq}\nspec:\n"
            "  monitoringScheduleConfig:\n"
            '    scheduleConfig: {scheduleExpression: "cron(0 3 ? * * *)"}\n'
            "    monitoringJobDefinitionName: legacy-mq\n    monitoringType: ModelQuality\n"
            "  status: stopped\n"):
        assert expected in text, (expected, text)
    assert text.count("kind: MonitoringSchedule") == 2, text
    no_changes(cli, specs)
    for name in ("fraud-dq", "fraud-mq"):
        tags = tags_of(emu, arn("monitoring-schedule", name))
        assert (tags["sagectl:address"], tags["sagectl:env"]) == (
            f"MonitoringSchedule.{name}", "dev"), tags
    assert tags_of(emu, arn("data-quality-job-definition", "legacy-dq"))[
        "sagectl:address"] == "DataQualityJobDefinition.legacy-dq"
    # adopted, not recreated: the schedules still run the definitions made by hand
    assert client.describe_monitoring_schedule(MonitoringScheduleName="fraud-mq")[
        "MonitoringScheduleStatus"] == "Stopped"
    assert live_definitions(emu, "ModelQuality") == ["legacy-mq"]
    # and they are sagectl's now: starting the stopped one is a plain status change
    path = specs / "imported" / f"{ENDPOINT}.yaml"
    path.write_text(imported(specs).replace("  status: stopped\n", ""), encoding="utf-8")
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev")
    assert code == 0 and "starts monitoring schedule fraud-mq" in out, out + err
    assert "No changes." not in out, out


def test_without_adopt_the_schedules_are_conflicts_until_adopted(cli: Cli, emu: Emulator,
                                                                 tmp_path: Path) -> None:
    build_by_hand(emu)
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev")
    assert code == 0, out + err
    assert "sagectl:" not in "".join(tags_of(emu, arn("monitoring-schedule", "fraud-dq")))
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev")
    # the definitions are conflicts, so their schedules have nothing to point at yet
    for line in ("DataQualityJobDefinition.legacy-dq: data quality job definition legacy-dq "
                 "(named by sagectl.io/aws-name) exists and is not managed by sagectl",
                 "(hint: adopt it with `sagectl import fraud --adopt` (the endpoint its "
                 "schedules watch)",
                 "MonitoringSchedule.fraud-mq: job definition 'legacy-mq' "
                 "(ModelQualityJobDefinition) was not planned"):
        assert line in out, out + err
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    no_changes(cli, specs)


def test_a_definition_sagectl_made_gets_its_spec_name_back(cli: Cli, emu: Emulator,
                                                            tmp_path: Path) -> None:
    """A schedule on a definition this environment made (the rest lost sagectl's tags): the
    definition's document is named by its spec name, and the schedule names that."""
    specs = write(tmp_path, estate(**{"monitoring/fraud-dq.yaml": schedule(status="stopped")}))
    apply(emu, specs)
    (aws_name,) = live_definitions(emu, "DataQuality")
    client = sm(emu)
    keys = ["sagectl:managed-by", "sagectl:env", "sagectl:address", "sagectl:digest",
            "sagectl:path", "sagectl:commit"]
    for resource in (arn("endpoint", ENDPOINT), arn("monitoring-schedule", "fraud-dq")):
        client.delete_tags(ResourceArn=resource, TagKeys=keys)
    config = client.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
    model = client.describe_endpoint_config(EndpointConfigName=config)[
        "ProductionVariants"][0]["ModelName"]
    client.delete_tags(ResourceArn=arn("endpoint-config", config), TagKeys=keys)
    client.delete_tags(ResourceArn=arn("model", model), TagKeys=keys)
    code, out, err = sagectl(cli, "plan", str(specs), "--env", "dev")
    assert ("MonitoringSchedule.fraud-dq: monitoring schedule fraud-dq exists and is not "
            "managed by sagectl (hint: adopt it with `sagectl import fraud --adopt` (the "
            "endpoint it watches))") in out, out + err
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    text = imported(specs)
    assert "kind: DataQualityJobDefinition\nmetadata: {name: dq}\n" in text, text
    assert "    monitoringJobDefinitionName: dq\n" in text, text
    assert "  status: stopped\n" in text, text
    no_changes(cli, specs)
    assert live_definitions(emu, "DataQuality") == [aws_name]


def test_a_schedule_managed_by_another_environment_is_refused(cli: Cli, emu: Emulator,
                                                              tmp_path: Path) -> None:
    client = build_by_hand(emu)
    client.add_tags(ResourceArn=arn("monitoring-schedule", "fraud-dq"), Tags=[
        {"Key": "sagectl:managed-by", "Value": "sagectl"}, {"Key": "sagectl:env", "Value": "prod"},
        {"Key": "sagectl:address", "Value": "MonitoringSchedule.fraud-dq"}])
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 1, out + err
    assert ("monitoring schedule fraud-dq is managed by sagectl (environment 'prod', "
            "MonitoringSchedule.fraud-dq), but no MonitoringSchedule spec here describes it"
            ) in err, out + err
    assert not (specs / "imported").exists()
    assert "sagectl:env" not in tags_of(emu, arn("monitoring-schedule", "fraud-mq"))


def test_a_pending_schedule_is_refused(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    client = build_by_hand(emu)
    create_schedule(client, "fraud-dq-2", "legacy-dq", "DataQuality")  # Pending for a while
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev")
    assert code == 1, out + err
    assert "monitoring schedule fraud-dq-2 is Pending" in err, out + err
    assert not (specs / "imported").exists()


def test_schedules_are_listed_page_by_page(cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    """ListMonitoringSchedules returns 10 a page unless asked (the emulator's default): twelve
    schedules on the endpoint take two pages, and every one is imported."""
    client = build_by_hand(emu)
    for i in range(10):
        create_schedule(client, f"extra-{i}", "legacy-dq", "DataQuality")
    emu.advance(PENDING)
    before = emu.calls[("sagemaker", "ListMonitoringSchedules")]
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev")
    assert code == 0, out + err
    assert emu.calls[("sagemaker", "ListMonitoringSchedules")] - before >= 2
    text = imported(specs)
    assert text.count("kind: MonitoringSchedule") == 12, text
    assert text.count("kind: DataQualityJobDefinition") == 1, text


def test_a_schedule_without_a_schedule_config_is_left_out_with_a_warning(
        cli: Cli, emu: Emulator, tmp_path: Path) -> None:
    """No ScheduleConfig: SageMaker picks the time, and a spec names an expression."""
    client = build_by_hand(emu)
    create_schedule(client, "picked", "legacy-dq", "DataQuality", expression=None)
    emu.advance(PENDING)
    specs = write(tmp_path, {})
    code, out, err = sagectl(cli, "import", ENDPOINT, str(specs), "--env", "dev", "--adopt")
    assert code == 0, out + err
    assert ("monitoring schedule picked has no ScheduleConfig (SageMaker picks its time), which "
            "a MonitoringSchedule spec does not describe: not imported") in out + err, out + err
    assert "name: picked" not in imported(specs)
    no_changes(cli, specs)
