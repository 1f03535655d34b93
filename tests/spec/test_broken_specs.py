"""A broken copy of the specs — one error of each kind `sagectl validate` must catch — reports
every error at its file:line:column, with the field path, and exits 1."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

# (file, line, column, severity, field path, message fragment)   # the rule it covers
EXPECTED = [
    ("endpoints/deployment.yaml", 12, 51, "error",
     "spec.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.canarySize.value",
     "canarySize of 3 instances is 75% of variant 'main' (4 instances); it must be 1-50% "
     "(1-2 instances)"),                                              # canary <= 50% of count
    ("endpoints/deployment.yaml", 28, 57, "error",
     "spec.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.linearStepSize.value",
     "linearStepSize must be 10-50% of the variant's instances, got 5%"),      # linear 10-50%
    ("endpoints/deployment.yaml", 44, 32, "error",
     "spec.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds",
     "must be at most 3600, got 3601"),                                        # waits 0-3600
    ("endpoints/deployment.yaml", 46, 41, "error",
     "spec.deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds",
     "must be at most 28800, got 30000"),                                      # timeouts 600-28800
    ("endpoints/deployment.yaml", 62, 41, "error",
     "spec.deploymentConfig.blueGreenUpdatePolicy.maximumExecutionTimeoutInSeconds",
     "maximumExecutionTimeoutInSeconds (1200) must be greater than the waits it contains "
     "(1500 s"),                                                               # timeout > waits
    ("endpoints/deployment.yaml", 75, 15, "error",
     "spec.deploymentConfig.autoRollbackConfiguration.alarms",
     "must have at most 10 items, got 11"),                                    # 1-10 alarms
    ("endpoints/deployment.yaml", 86, 15, "error",
     "spec.deploymentConfig.autoRollbackConfiguration.alarms",
     "must have at least 1 item, got 0"),                                      # 1-10 alarms
    ("endpoints/deployment.yaml", 99, 7, "error", "spec.deploymentConfig.rollingUpdatePolicy",
     "rolling updates are not supported for serverless endpoints"),           # rolling/serverless
    ("endpoints/deployment.yaml", 102, 7, "warning",
     "spec.deploymentConfig.autoRollbackConfiguration",
     "SageMaker does not watch these alarms during a deploy of this endpoint (variant 'main' "
     "is serverless"),                                                         # rule 18
    ("endpoints/deployment.yaml", 114, 7, "error", "spec.deploymentConfig.rollingUpdatePolicy",
     "rolling updates are not supported for endpoints with several production variants (2)"),
    ("endpoints/deployment.yaml", 128, 28, "error",
     "spec.deploymentConfig.autoRollbackConfiguration.alarms[0].alarmName",
     "alarm 'not-defined-anywhere' is not defined in the specs"),             # guardrail alarm ref
    ("endpoints/deployment.yaml", 140, 15, "error",
     "spec.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type",
     "CANARY traffic shifting cannot run on this endpoint: variant 'main' runs on ml.inf1.xlarge "
     "(Inf1); AWS runs no deployment guardrails there and deploys all at once with no baking "
     "period (https://docs.aws.amazon.com/sagemaker/latest/dg/"
     "deployment-guardrails-exclusions.html)"),                                # rule 18: Inf1
    ("endpoints/deployment.yaml", 142, 32, "error",
     "spec.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds",
     "a baking period of 300 s cannot run on this endpoint"),                  # rule 18: no bake
    ("endpoints/deployment.yaml", 144, 7, "warning",
     "spec.deploymentConfig.autoRollbackConfiguration",
     "SageMaker does not watch these alarms during a deploy of this endpoint"),  # rule 18
    ("endpoints/deployment.yaml", 152, 64, "error", "spec.productionVariants[0].instanceType",
     "'ml.g5.xlarg' is not a SageMaker instance type for endpoints; did you mean "
     "'ml.g5.xlarge'?"),                                                       # rule 22: enum
    ("endpoints/duplicate-keys.yaml", 9, 3, "error", "",
     "duplicate key 'deletionProtection' (first defined at line 8, column 3)"),  # duplicate keys
    ("endpoints/empty.yaml", 1, 1, "warning", "", "file has no documents"),  # empty file
    ("endpoints/latin1.yaml", 4, 12, "error", "",
     "file is not valid UTF-8 (byte 0xe9)"),                                   # non-UTF-8
    ("endpoints/limits.yaml", 8, 5, "error", "spec.productionVariants",
     "must have at most 10 items, got 11"),                                    # <= 10 variants
    ("endpoints/limits.yaml", 26, 121, "error", "spec.productionVariants[0].initialVariantWeight",
     "must be at least 0, got -1"),                                            # weights >= 0
    ("endpoints/limits.yaml", 34, 5, "error", "spec.productionVariants",
     "all production variant weights are 0"),                                  # not all 0
    ("endpoints/limits.yaml", 45, 42, "error",
     "spec.productionVariants[0].serverlessConfig.memorySizeInMB",
     "must be a multiple of 1024, got 3000"),                                  # serverless memory
    ("endpoints/limits.yaml", 45, 64, "error",
     "spec.productionVariants[0].serverlessConfig.maxConcurrency",
     "must be at most 200, got 201"),                                          # serverless conc.
    ("endpoints/limits.yaml", 54, 18, "error", "spec.productionVariants[0].modelName",
     "model 'vpc-model' has a vpcConfig, which serverless endpoints do not support"),
    ("endpoints/limits.yaml", 65, 21, "error", "spec.productionVariants[0].instanceType",
     "ml.t2.medium is a burstable instance type, which SageMaker cannot autoscale"),
    ("endpoints/limits.yaml", 78, 29, "error", "spec.productionVariants[0].initialInstanceCount",
     "initialInstanceCount (3) must be within autoscaling [minCapacity, maxCapacity] = [5, 2]"),
    ("endpoints/limits.yaml", 79, 34, "error", "spec.productionVariants[0].autoscaling.minCapacity",
     "minCapacity (5) is greater than maxCapacity (2)"),                       # min <= max
    ("endpoints/limits.yaml", 91, 22, "error", "spec.productionVariants[0].capacityOwner",
     "capacityOwner is `autoscaling` but the variant has no `autoscaling` block"),
    ("endpoints/limits.yaml", 99, 38, "error", "spec.productionVariants[0].modelName",
     "model 'no-such-model' is not defined in the specs"),                    # model reference
    ("endpoints/limits.yaml", 109, 21, "error", "spec.productionVariants[0].instanceType",
     "expected a string, got a list"),                                         # wrong types...
    ("endpoints/limits.yaml", 110, 29, "error", "spec.productionVariants[0].initialInstanceCount",
     "expected an integer, got the string 'two'"),
    ("endpoints/limits.yaml", 111, 24, "error", "spec.productionVariants[0].enableSSMAccess",
     "expected true or false, got the string 'yes'"),
    ("endpoints/limits.yaml", 112, 9, "error", "spec.tags", "expected a mapping, got a list"),
    ("endpoints/limits.yaml", 118, 7, "error", "spec", "expected a mapping, got the number 5"),
    ("endpoints/limits.yaml", 120, 1, "error", "",
     "a sagectl document is a mapping with apiVersion, kind, metadata and spec; got a list"),
    ("endpoints/syntax.yaml", 7, 1, "error", "", "invalid YAML: expected the node content"),
    ("endpoints/tabs.yaml", 4, 1, "error", "",
     "invalid YAML: tab character where YAML expects indentation"),            # tabs
    ("endpoints/variables.yaml", 11, 29, "error", "",
     "undefined variable ${weigth} in environment 'prod' (variables are defined in "
     "environments/prod.yaml)"),                                               # undefined variable
    ("environments/prod.yaml", 9, 7, "error", "spec.overrides[0].name",
     "override targets Endpoint 'does-not-exist', which is not defined in the specs"),
    ("models.yaml", 26, 9, "error", "metadata.name",
     "expected letters, digits and hyphens, starting and ending with a letter or digit"),
    ("models.yaml", 35, 9, "error", "metadata.name", "at most 54 characters"),  # name length
    ("models.yaml", 44, 9, "error", "metadata.name",
     "duplicate Model 'good-model': already defined at models.yaml:4:9"),     # unique per kind
    ("pipelines/definition.json", 6, 14, "error", "Steps[1].Name",
     "duplicate step name 'Train'"),                                           # in a referenced file
    ("pipelines/pipeline.yaml", 9, 17, "error", "spec.parameters.Undeclared",
     "parameter 'Undeclared' is not declared in the definition's Parameters (declared: "
     "InputData)"),
]


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dest = tmp_path / "broken"
    shutil.copytree(FIXTURES / "broken", dest)
    monkeypatch.chdir(dest)
    return dest


def test_every_error_is_reported_with_its_position(broken: Path,
                                                   cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, _ = cli("validate", ".", "--env", "prod", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False
    got = [(d["file"], d["line"], d["column"], d["severity"], d["path"], d["message"])
           for d in report["diagnostics"]]
    assert [g[:5] for g in got] == [e[:5] for e in EXPECTED]
    for (*_, message), (*_, fragment) in zip(got, EXPECTED, strict=True):
        assert fragment in message


def test_text_output_is_file_line_column(broken: Path,
                                         cli: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = cli("validate", ".", "--env", "prod")
    assert code == 1 and out == ""
    lines = err.splitlines()
    warnings = sum(1 for e in EXPECTED if e[3] == "warning")
    assert lines[-1] == f"{len(EXPECTED) - warnings} errors and {warnings} warnings; nothing is " \
                        "valid until they are fixed."
    pattern = re.compile(r"^[\w./-]+:\d+:\d+: (error|warning): ")
    assert all(pattern.match(line) for line in lines[:-1]), lines
    assert "Traceback" not in err


def test_github_annotations(broken: Path, cli: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = cli("validate", ".", "--env", "prod", "--format", "github")
    assert code == 1
    assert ("::error file=models.yaml,line=44,col=9::metadata.name: duplicate Model "
            "'good-model': already defined at models.yaml:4:9") in err.splitlines()


def test_huge_files_and_alias_bombs_are_bounded(broken: Path,
                                                cli: Callable[..., tuple[int, str, str]]) -> None:
    with (broken / "huge.yaml").open("wb") as fh:
        fh.write(b"# padding\n" * 900_000)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (broken / "bomb.yaml").write_text("\n".join(lines) + "\n")
    code, out, _ = cli("validate", ".", "--env", "prod", "--format", "json")
    assert code == 1
    by_file = {d["file"]: d["message"] for d in json.loads(out)["diagnostics"]}
    assert by_file["huge.yaml"] == "file is too large (9,000,000 bytes; the limit is 8,388,608)"
    assert "more than 250000 values after expanding aliases" in by_file["bomb.yaml"]
