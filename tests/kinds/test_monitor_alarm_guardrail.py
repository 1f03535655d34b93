"""A rollback alarm on Model Monitor metrics is allowed, with a warning that says what it can and
cannot judge (docs/sagemaker-rules.md, "Alarms on Model Monitor metrics")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs
from tests.kinds.test_rules import alarm, canary, endpoint, model

DRIFT = {"namespace": "aws/sagemaker/Endpoints/data-metrics",
         "metricName": "feature_baseline_drift_amount", "dimensions": [
             {"name": "Endpoint", "value": "ep"}, {"name": "MonitoringSchedule",
                                                  "value": "ep-data-quality"}]}


def _load(tmp_path: Path, docs: list[dict[str, Any]]) -> Any:
    root = tmp_path / "specs"
    root.mkdir()
    (root / "all.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return load_specs(root, KINDS)


@pytest.mark.parametrize("namespace", ["aws/sagemaker/Endpoints/data-metrics",
                                       "/aws/sagemaker/Endpoints/data-metric",
                                       "/aws/sagemaker/Endpoint/data-metrics",
                                       "aws/sagemaker/Endpoints/model-metrics",
                                       "aws/sagemaker/Endpoints/bias-metrics"])
def test_a_rollback_alarm_on_monitor_metrics_warns_at_its_reference(
        tmp_path: Path, namespace: str) -> None:
    docs = [model(), alarm(**{**DRIFT, "namespace": namespace}),
            endpoint(deploymentConfig=canary("INSTANCE_COUNT", 1))]
    result = _load(tmp_path, docs)
    assert result.ok, [d.message for d in result.report.errors]  # allowed...
    found = [d for d in result.report.warnings if "Model Monitor metrics" in d.message]
    assert len(found) == 1, [d.message for d in result.report.warnings]
    warning = found[0]
    assert "rolls back every deployment" in warning.message
    assert "deploymentConfig.autoRollbackConfiguration.alarms[0].alarmName" in warning.path
    assert warning.pos.line > 1  # located in the file, at the reference


def test_metric_math_on_monitor_metrics_warns_and_endpoint_metrics_do_not(
        tmp_path: Path) -> None:
    math = alarm("drift", namespace=None, metricName=None, statistic=None, period=None,
                 metrics=[{"id": "m1", "metricStat": {"metric": dict(DRIFT), "period": 3600,
                                                      "stat": "Sum"}}])
    cfg = canary("INSTANCE_COUNT", 1)
    cfg["autoRollbackConfiguration"]["alarms"].append({"alarmName": "drift"})
    result = _load(tmp_path, [model(), alarm(), math, endpoint(deploymentConfig=cfg)])
    found = [d for d in result.report.warnings if "Model Monitor metrics" in d.message]
    assert [d.path.endswith("alarms[1].alarmName") for d in found] == [True]
