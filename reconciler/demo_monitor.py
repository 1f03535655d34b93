"""``sagectl demo``'s Model Monitor step: the fraud scorer's daily data quality check runs on
the simulated clock, finds the captured traffic violating the baseline, and ``sagectl drift``
reports it as information (with where the report is), not as drift to heal.

Apart from ``demo.py`` (which registers it last) so that module stays one story of one endpoint;
it is handed the demo's ``Story`` and uses only its public methods."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reconciler.demo import Story

SCHEDULE = "fraud-scorer-data-quality"
RUN_HOUR = 2  # specs/monitoring/fraud-scorer.yaml: cron(0 2 ? * * *)


def violation_in_drift(story: Story) -> None:
    story.step("Model Monitor's daily check finds drifted traffic: drift reports it as "
               "information")
    sm = story.aws.client("sagemaker")
    described = sm.describe_monitoring_schedule(MonitoringScheduleName=SCHEDULE)
    story.expect(described["MonitoringScheduleStatus"] == "Scheduled",
                 f"{SCHEDULE} is {described['MonitoringScheduleStatus']}, not Scheduled")
    story.say(f"   {SCHEDULE} is Scheduled, daily at 0{RUN_HOUR}:00 UTC")
    story.emulator.fail_next_monitoring_execution(SCHEDULE, kind="violations")
    now = story.emulator.now()
    current = datetime.fromtimestamp(now, UTC)
    run = current.replace(hour=RUN_HOUR, minute=0, second=0, microsecond=0)
    if run <= current:
        run += timedelta(days=1)
    story.emulator.advance((run - current).total_seconds() + 900)  # the run and its 5 minutes
    story.say(f"   the clock reaches {run:%Y-%m-%d %H:%M} UTC: the check runs and finds "
              "violations of the baseline constraints")
    done = story.sagectl("drift", str(story.specs), "--env", "dev", "--format", "json")
    report = json.loads(done.out) if done.out.strip().startswith("{") else {}
    found = [i for i in report.get("drift", []) if i["class"] == "monitoring"]
    for item in found:
        story.say(f"   monitoring (information): {item['address']}: {item['reason'][:150]}")
    story.expect(done.code == 0 and len(found) == 1
                 and found[0]["address"] == f"MonitoringSchedule.{SCHEDULE}"
                 and "constraint_violations.json" in found[0]["reason"],
                 f"expected one monitoring item for {SCHEDULE}, exit 0; got {done.code}: "
                 f"{report.get('summary')} {done.err.strip()[-300:]}")
    story.ok("the violation is reported as information, with its report; nothing to heal")
