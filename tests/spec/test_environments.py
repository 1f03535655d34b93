"""Environments: variables, overlays and their positions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.cli.registry import KINDS
from reconciler.spec.load import load_specs, validate

MODEL = """
apiVersion: sagectl/v1
kind: Model
metadata: {name: scorer}
spec:
  executionRoleArn: arn:aws:iam::${accountId}:role/inference
  primaryContainer:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/scorer:1
    environment:
      STAGE: ${env}
      LITERAL: "$${not_a_var}"
      REPLICAS: "${count}"
"""
ENDPOINT = """
apiVersion: sagectl/v1
kind: Endpoint
metadata: {name: scorer}
spec:
  productionVariants:
    - variantName: primary
      modelName: scorer
      instanceType: ${instanceType}
      initialInstanceCount: ${count}
      initialVariantWeight: 90
      autoscaling:
        minCapacity: ${count}
        maxCapacity: 10
        scalingPolicies:
          - policyName: invocations
            targetTrackingScalingPolicyConfiguration:
              targetValue: 70
              predefinedMetricSpecification:
                predefinedMetricType: SageMakerVariantInvocationsPerInstance
    - variantName: shadowless
      modelName: scorer
      instanceType: ml.m5.large
      initialInstanceCount: 1
      initialVariantWeight: 10
  tags: {team: fraud, stage: "${env}"}
"""
PROD = """
apiVersion: sagectl/v1
kind: Environment
metadata: {name: prod}
spec:
  accountId: "222222222222"
  region: eu-west-1
  variables: {instanceType: ml.c6i.xlarge, count: 4}
  overrides:
    - kind: Endpoint
      name: scorer
      spec:
        productionVariants:
          - variantName: primary
            initialVariantWeight: 80
            autoscaling:
              scalingPolicies:
                - policyName: invocations
                  targetTrackingScalingPolicyConfiguration:
                    targetValue: 50
          - variantName: canary
            modelName: scorer
            instanceType: ml.c6i.xlarge
            initialInstanceCount: 1
            initialVariantWeight: 5
        tags: {stage: null}
"""
DEV = """
apiVersion: sagectl/v1
kind: Environment
metadata: {name: dev}
spec:
  accountId: "111111111111"
  variables: {instanceType: ml.m5.large, count: 2}
"""

Tree = Callable[[dict[str, str]], Path]


def tree(spec_tree: Tree, **extra: str) -> Path:
    files = {"model.yaml": MODEL, "endpoint.yaml": ENDPOINT, "environments/prod.yaml": PROD,
             "environments/dev.yaml": DEV}
    files.update(extra)
    return spec_tree(files)


def test_whole_reference_keeps_the_variables_type(spec_tree: Tree) -> None:
    result = load_specs(tree(spec_tree), KINDS, "dev")
    assert result.ok, [d.text() for d in result.report.items]
    endpoint = result.get("Endpoint", "scorer")
    assert endpoint is not None
    primary = endpoint.spec.production_variants[0]
    assert primary.initial_instance_count == 2 and primary.instance_type == "ml.m5.large"


def test_interpolation_escapes_and_builtins(spec_tree: Tree) -> None:
    result = load_specs(tree(spec_tree), KINDS, "dev")
    model = result.get("Model", "scorer")
    assert model is not None
    env = model.spec.primary_container.environment
    # quoted "${count}" stays a string; $${ is a literal ${; ${env} is the environment's name
    assert env == {"STAGE": "dev", "LITERAL": "${not_a_var}", "REPLICAS": "2"}
    assert model.spec.execution_role_arn == "arn:aws:iam::111111111111:role/inference"


def test_overrides_merge_named_lists_and_null_deletes(spec_tree: Tree) -> None:
    result = load_specs(tree(spec_tree), KINDS, "prod")
    assert result.ok, [d.text() for d in result.report.items]
    endpoint = result.get("Endpoint", "scorer")
    assert endpoint is not None
    variants = {v.variant_name: v for v in endpoint.spec.production_variants}
    assert list(variants) == ["primary", "shadowless", "canary"]      # merged by variantName
    primary = variants["primary"]
    assert primary.initial_variant_weight == 80                       # patched
    assert primary.instance_type == "ml.c6i.xlarge"                   # kept, from variables
    policy = primary.autoscaling.scaling_policies[0]
    assert policy.target_tracking_scaling_policy_configuration.target_value == 50
    pre = policy.target_tracking_scaling_policy_configuration.predefined_metric_specification
    assert pre.predefined_metric_type == "SageMakerVariantInvocationsPerInstance"  # kept
    assert endpoint.spec.tags == {"team": "fraud"}                    # stage: null removed it


def test_errors_in_patched_values_point_at_the_environment_file(spec_tree: Tree) -> None:
    bad = PROD.replace("initialVariantWeight: 80", "initialVariantWeight: -80")
    result = load_specs(tree(spec_tree, **{"environments/prod.yaml": bad}), KINDS, "prod")
    errors = result.report.errors
    assert len(errors) == 1
    assert errors[0].pos.file.endswith("environments/prod.yaml")
    assert (errors[0].pos.line, errors[0].pos.column) == (14, 35)
    assert errors[0].path == "spec.productionVariants[0].initialVariantWeight"
    assert errors[0].context == "Endpoint scorer"


def test_omit_removes_a_resource_from_one_environment(spec_tree: Tree) -> None:
    dev = DEV + "  overrides:\n    - {kind: Endpoint, name: scorer, omit: true}\n"
    root = tree(spec_tree, **{"environments/dev.yaml": dev})
    assert load_specs(root, KINDS, "dev").get("Endpoint", "scorer") is None
    assert load_specs(root, KINDS, "prod").get("Endpoint", "scorer") is not None


def test_undefined_variable_names_file_line_and_suggests(spec_tree: Tree) -> None:
    root = tree(spec_tree, **{"endpoint.yaml": ENDPOINT.replace("${count}", "${cuont}", 1)})
    result = load_specs(root, KINDS, "dev")
    errors = result.report.errors
    assert len(errors) == 1, [e.text() for e in errors]
    message = errors[0].message
    assert message.startswith("undefined variable ${cuont} in environment 'dev' (variables are "
                              "defined in ")
    assert message.endswith("environments/dev.yaml); did you mean ${count}?")
    assert errors[0].pos.file.endswith("endpoint.yaml")
    assert (errors[0].pos.line, errors[0].pos.column) == (9, 29)


def test_malformed_references(spec_tree: Tree) -> None:
    root = tree(spec_tree, **{"model.yaml": MODEL.replace("STAGE: ${env}", "STAGE: ${env")})
    errors = load_specs(root, KINDS, "dev").report.errors
    assert any("unclosed variable reference" in e.message for e in errors)
    root = tree(spec_tree, **{"model.yaml": MODEL.replace("STAGE: ${env}", "STAGE: ${e-nv}")})
    errors = load_specs(root, KINDS, "dev").report.errors
    assert any("malformed variable reference ${e-nv}" in e.message for e in errors)


def test_no_environment_selected_makes_references_errors(spec_tree: Tree) -> None:
    root = spec_tree({"model.yaml": MODEL})
    errors = load_specs(root, KINDS).report.errors
    assert errors and all("no environment is selected (use --env NAME)" in e.message
                          for e in errors)


def test_unknown_environment_lists_the_defined_ones_with_positions(spec_tree: Tree) -> None:
    root = tree(spec_tree)
    result = load_specs(root, KINDS, "qa")
    assert not result.ok
    message = result.report.errors[0].message
    assert message.startswith("unknown environment 'qa'; defined: dev (")
    assert "environments/dev.yaml:3:" in message and "environments/prod.yaml:3:" in message


def test_environment_name_must_match_its_file(spec_tree: Tree) -> None:
    root = tree(spec_tree, **{"environments/staging.yaml": DEV})
    result = validate(root, KINDS)
    assert any("environment 'dev' must be in a file named dev.yaml (this file is staging.yaml)"
               in d.message for d in result.diagnostics)


def test_builtin_variables_cannot_be_redefined(spec_tree: Tree) -> None:
    dev = DEV.replace("count: 2}", "count: 2, env: x}")
    result = validate(tree(spec_tree, **{"environments/dev.yaml": dev}), KINDS)
    assert any("variable 'env' is built in" in d.message for d in result.errors)


def test_override_of_unknown_kind_or_conflicting_omit(spec_tree: Tree) -> None:
    dev = DEV + ("  overrides:\n    - {kind: Endpont, name: scorer, spec: {}}\n"
                 "    - {kind: Endpoint, name: scorer, omit: true, spec: {}}\n")
    errors = load_specs(tree(spec_tree, **{"environments/dev.yaml": dev}), KINDS, "dev").report.errors
    messages = [e.message for e in errors]
    assert "override for unknown kind 'Endpont'; did you mean Endpoint?" in messages
    assert "`omit: true` and `spec` contradict each other" in messages


def test_validate_without_env_checks_every_environment_and_says_where(spec_tree: Tree) -> None:
    # An error only prod sees (its override) is marked with the environment; shared errors not.
    bad = PROD.replace("initialVariantWeight: 80", "initialVariantWeight: -80")
    model = MODEL.replace("image:", "image: x\n    imagee:")
    result = validate(tree(spec_tree, **{"environments/prod.yaml": bad, "model.yaml": model}), KINDS)
    assert result.environments == ["dev", "prod"]
    by_msg = {d.message: d for d in result.errors}
    assert by_msg["must be at least 0, got -80"].context == "Endpoint scorer; environment prod"
    shared = by_msg["unknown field `imagee`; did you mean `image`?"]
    assert shared.context == ""
    assert len([d for d in result.errors if "imagee" in d.message]) == 1


def test_environment_documents_are_not_resources(spec_tree: Tree) -> None:
    root = tree(spec_tree, **{"misplaced.yaml": DEV})
    errors = load_specs(root, KINDS, "dev").report.errors
    assert any("Environment documents belong in the environments/ directory" in e.message
               for e in errors)
