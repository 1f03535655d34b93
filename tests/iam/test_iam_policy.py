"""``sagectl iam-policy``: the policy covers what sagectl really calls (recorded against the
emulator), the plan policy is read-only, the check catches a missing action, resources are
scoped by the environment and the specs, and the output is deterministic."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.registry import KINDS
from reconciler.iam import (
    Gap,
    action_matches,
    allows,
    assemble,
    coverage_gaps,
    iam_action,
    is_read,
    policy_actions,
)
from reconciler.iam.split import MANAGED_POLICY_CHARS, size, split
from sagemaker_emulator import Emulator
from tests.apply.helpers import apply, context, statuses
from tests.conftest import EXAMPLES, REPO
from tests.iam_coverage import MIN_OPERATIONS, Recorder, check, report, sagectl_policy
from tests.plan.helpers import aws_for, plan

Cli = Callable[..., tuple[int, str, str]]
ACCOUNT, REGION = "111111111111", "eu-west-1"
TABLE = assemble(KINDS)  # the engine's operations and every kind's
OPERATIONS, IMPLIED = TABLE.operations, TABLE.implied
READ_VERBS = ("Describe", "List", "Get", "BatchGet", "Search", "Query", "Scan")
MUTATING_VERBS = ("Create", "Update", "Delete", "Put", "Add", "Register", "Deregister", "Start",
                  "Stop", "Tag", "Untag", "Remove", "Pass", "Modify", "Set", "Enable", "Disable",
                  "Attach", "Detach", "Associate", "Invoke", "Send", "Publish", "Write")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def register_approved_version(emu: Emulator) -> None:
    """A reviewer approves a version in the registry (the world, not sagectl)."""
    aws_for(emu).client("sagemaker").create_model_package(
        ModelPackageGroupName="fraud-models", ModelApprovalStatus="Approved",
        InferenceSpecification={"Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws"
                                                          ".com/scorer:pkg"}],
                                "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]})
    emu.advance(60)


# -- (a) what sagectl really calls is allowed ---------------------------------------------------

def test_every_operation_of_a_full_lifecycle_is_in_the_policies(emu: Emulator,
                                                                examples_copy: Path) -> None:
    """The example estate planned and applied, a registry version deployed, a deploy rolled
    back, a weights-only change, a pipeline moved to S3 and an EventBridge rule with a run
    after the change, the state table read, and all but the registry pruned: every operation
    sagectl made is in the apply policy, every read in the plan policy (both from the specs, as
    they were before the pruning, and without specs), and planning needs nothing else."""
    specs = examples_copy
    endpoint_spec = specs / "endpoints" / "fraud-scorer.yaml"
    pipeline_spec = specs / "pipelines" / "fraud-training.yaml"
    with Recorder() as everything:
        with Recorder() as planning:
            assert plan(emu, specs).resource_changes
        first = apply(emu, specs)
        assert statuses(first)["Pipeline.fraud-training"] == "applied"  # with its first run
        assert statuses(first)["Endpoint.fraud-scorer"] == "waiting"  # no approved model yet

        register_approved_version(emu)
        assert set(statuses(apply(emu, specs)).values()) == {"applied"}
        with planning:  # a converged estate: configs, scaling, alarms, schedule read
            assert plan(emu, specs).resource_changes == []

        edit(endpoint_spec, "xgboost-inference:1.7-1", "xgboost-inference:1.7-2")
        emu.fail_next_update("fraud-scorer", "silent_rollback")
        assert statuses(apply(emu, specs))["Endpoint.fraud-scorer"] == "rolled_back"

        edit(endpoint_spec, "xgboost-inference:1.7-2", "xgboost-inference:1.7-1")
        edit(endpoint_spec, "initialVariantWeight: 90", "initialVariantWeight: 80")
        weights = apply(emu, specs)
        assert statuses(weights) == {"Endpoint.fraud-scorer": "applied"}
        assert weights.plan.resource_changes[0].action_reason == "weights_only"

        aws_for(emu).client("s3").create_bucket(
            Bucket="dev-pipelines", CreateBucketConfiguration={"LocationConstraint": REGION})
        edit(pipeline_spec, "  schedule:\n", "  pipelineDefinitionS3Bucket: dev-pipelines\n"
                                             "  schedule:\n    type: EventBridgeRule\n")
        edit(pipeline_spec, "    scheduleExpressionTimezone: Europe/Berlin\n", "")
        edit(pipeline_spec.with_name("fraud-training.definition.json"), '"max_depth": "6"',
             '"max_depth": "7"')
        moved = apply(emu, specs)
        assert statuses(moved) == {"Pipeline.fraud-training": "applied"}
        from_specs = {mode: sagectl_policy(str(specs), "--env", "dev", "--mode", mode)
                      for mode in ("apply", "plan")}

        actx = context(emu)
        assert actx.state.history("fraud-scorer")  # `sagectl history`
        actx.aws.close()

        for path in specs.rglob("*"):  # everything but the registry (it holds versions)
            if path.is_file() and not {"environments", "registry"} & set(path.parts):
                path.unlink()
        env_file = specs / "environments" / "dev.yaml"
        text = env_file.read_text(encoding="utf-8")
        env_file.write_text(text[:text.index("  overrides:")], encoding="utf-8")
        pruned = apply(emu, specs)
        assert pruned.result is not None and pruned.result.outcomes
        assert set(statuses(pruned).values()) == {"applied"}, pruned.result
        assert all(c.actions == ["delete"] for c in pruned.plan.resource_changes)

    observed = everything.operations
    assert len(observed) >= MIN_OPERATIONS, sorted(observed)
    for needed in [("sagemaker", "UpdateEndpoint"), ("sagemaker", "DeleteEndpoint"),
                   ("sagemaker", "UpdateEndpointWeightsAndCapacities"),
                   ("sagemaker", "StartPipelineExecution"), ("sagemaker", "DeletePipeline"),
                   ("scheduler", "CreateSchedule"), ("events", "PutTargets"),
                   ("s3", "PutObject"), ("application-autoscaling", "RegisterScalableTarget"),
                   ("cloudwatch", "DeleteAlarms"), ("dynamodb", "Query")]:
        assert needed in observed, f"the scenario no longer exercises {needed}"
    assert ("sagemaker", "CreateModelPackage") not in observed, "the test's own calls count"

    assert coverage_gaps(observed, from_specs["apply"], from_specs["plan"], TABLE) == []
    assert check(observed) == []  # without specs: patterns
    plan_policy = sagectl_policy("--mode", "plan")
    to_plan = {iam_action(*o) for o in planning.operations} - {None}
    assert len(to_plan) >= 10 and {a for a in to_plan if not allows(plan_policy, a)} == set()
    by_sid = {s["Sid"]: s for s in from_specs["apply"]["Statement"]}
    assert by_sid["PassRoleToEventBridge"]["Resource"] == \
        f"arn:aws:iam::{ACCOUNT}:role/sagemaker-fraud-scheduler"
    statement = by_sid["PipelineDefinitionUploads"]
    assert statement["Resource"] == "arn:aws:s3:::dev-pipelines/sagectl/pipelines/*"
    assert statement["Action"] == ["s3:GetObject", "s3:PutObject"]


def test_only_sagectls_own_calls_are_recorded(emu: Emulator, tmp_path: Path) -> None:
    from tests.kinds.endpoint.test_plan_changes import ALARM
    from tests.plan.helpers import write

    with Recorder() as recorder:
        aws_for(emu).client("sagemaker").list_models()  # a test looking at the world
        plan(emu, write(tmp_path, {"alarm.yaml": ALARM}))  # sagectl
    assert ("sagemaker", "ListModels") not in recorder.operations
    assert ("resourcegroupstaggingapi", "GetResources") in recorder.operations


# -- (b) the plan policy is read-only -----------------------------------------------------------

@pytest.mark.parametrize("args", [(), (str(EXAMPLES), "--env", "prod"),
                                  (str(EXAMPLES), "--env", "dev")])
def test_the_plan_policy_has_no_mutating_action(args: tuple[str, ...]) -> None:
    actions = policy_actions(sagectl_policy(*args, "--mode", "plan"))
    assert actions
    for action in actions:
        verb = action.split(":", 1)[1]
        assert verb.startswith(READ_VERBS) and not verb.startswith(MUTATING_VERBS), action
    assert "*" not in "".join(actions)  # explicit actions only


def test_the_tables_say_read_exactly_for_read_operations() -> None:
    for service, ops in OPERATIONS.items():
        for name, op in ops.items():
            assert op.write == (not is_read(name)), f"{service} {name}"
    for implied in IMPLIED:  # nothing implied by a read: the plan policy stays the reads
        assert all(not is_read(op) for _, op in implied.needed_by), implied


def test_apply_adds_the_changes_to_the_plan_policy() -> None:
    plan_actions = set(policy_actions(sagectl_policy("--mode", "plan")))
    apply_actions = set(policy_actions(sagectl_policy("--mode", "apply")))
    assert plan_actions < apply_actions
    added = apply_actions - plan_actions
    assert {"sagemaker:UpdateEndpoint", "iam:PassRole", "iam:CreateServiceLinkedRole",
            "dynamodb:PutItem", "tag:GetResources"} - added == {"tag:GetResources"}


# -- (c) the check can fail ---------------------------------------------------------------------

def without(policy: dict[str, Any], action: str) -> dict[str, Any]:
    out = copy.deepcopy(policy)
    for statement in out["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != action]
    return out


def test_a_removed_action_is_reported() -> None:
    apply_policy = sagectl_policy("--mode", "apply")
    plan_policy = sagectl_policy("--mode", "plan")
    observed = {("sagemaker", "UpdateEndpoint"), ("sagemaker", "DescribeEndpoint"),
                ("sts", "GetCallerIdentity")}
    assert coverage_gaps(observed, apply_policy, plan_policy) == []
    assert coverage_gaps(observed, without(apply_policy, "sagemaker:UpdateEndpoint"),
                         plan_policy) == [Gap("apply", "sagemaker:UpdateEndpoint", "sagemaker",
                                              "UpdateEndpoint")]
    assert coverage_gaps(observed, apply_policy,
                         without(plan_policy, "sagemaker:DescribeEndpoint")) == [
        Gap("plan", "sagemaker:DescribeEndpoint", "sagemaker", "DescribeEndpoint")]
    # an operation no table knows (a new command's) is missing from both
    gaps = coverage_gaps({("sagemaker", "ListEndpoints")}, apply_policy, plan_policy)
    assert [str(g) for g in gaps] == [
        "sagemaker:ListEndpoints (for sagemaker ListEndpoints) is missing from the apply policy",
        "sagemaker:ListEndpoints (for sagemaker ListEndpoints) is missing from the plan policy"]


def test_the_session_report_fails_on_a_gap_and_skips_a_partial_run() -> None:
    known = sorted((s, o) for s, ops in OPERATIONS.items() for o in ops)
    lines, failed = report(set(known[:MIN_OPERATIONS - 1]))
    assert not failed and "skipped" in lines[0]
    lines, failed = report(set(known))
    assert not failed and "passed" in lines[-1]
    lines, failed = report({*known, ("s3", "DeleteObject")})
    assert failed and lines[-1] == ("  s3:DeleteObject (for s3 DeleteObject) is missing from the "
                                    "apply policy")


def test_the_action_matcher() -> None:
    assert action_matches("sagemaker:Describe*", "sagemaker:DescribeEndpoint")
    assert action_matches("SageMaker:describeendpoint", "sagemaker:DescribeEndpoint")
    assert action_matches("sagemaker:*", "sagemaker:UpdateEndpoint")
    assert action_matches("*", "s3:PutObject")
    assert action_matches("s3:?utObject", "s3:PutObject")
    assert not action_matches("sagemaker:Describe*", "sagemaker:ListEndpoints")
    assert not action_matches("sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig")
    assert not action_matches("sagemaker.Describe*", "sagemakerXDescribeEndpoint")
    wild = {"Statement": [{"Effect": "Allow", "Action": "sagemaker:Describe*", "Resource": "*"},
                          {"Effect": "Deny", "Action": ["sagemaker:DescribeModel"],
                           "Resource": "*"},
                          {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}]}
    assert allows(wild, "sagemaker:DescribeEndpoint")
    assert not allows(wild, "sagemaker:DescribeModel")  # an explicit Deny wins
    assert allows(wild, "s3:PutObject") and not allows(wild, "iam:PassRole")


# -- resources, output and errors ---------------------------------------------------------------

def test_resources_are_scoped_by_the_environment_and_the_specs(cli: Cli) -> None:
    code, out, err = cli("iam-policy", "specs", "--env", "prod", "--mode", "apply",
                         "--state-table", "ml-state", cwd=REPO)
    assert code == 0, err
    policy = json.loads(out)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    for statement in policy["Statement"]:
        for arn in [statement["Resource"]] if isinstance(statement["Resource"], str) \
                else statement["Resource"]:
            assert arn == "*" or "222222222222" in arn or arn.startswith("arn:aws:s3:::"), arn
            assert ":sagemaker:" not in arn or ":eu-west-1:" in arn
    assert by_sid["StateTable"]["Resource"] == \
        "arn:aws:dynamodb:eu-west-1:222222222222:table/ml-state"
    assert by_sid["PassRoleToSageMaker"]["Resource"] == [
        f"arn:aws:iam::222222222222:role/sagemaker-{r}" for r in
        ("documents-inference", "fraud-inference", "fraud-monitoring", "fraud-pipelines",
         "llm-inference",
          "search-inference")]
    assert by_sid["PassRoleToSageMaker"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert by_sid["PassRoleToScheduler"]["Resource"] == \
        "arn:aws:iam::222222222222:role/sagemaker-fraud-scheduler"
    assert "PassRoleToEventBridge" not in by_sid  # no rule in the specs: no role to pass
    assert "PipelineDefinitionUploads" not in by_sid  # no bucket in the specs
    assert by_sid["SchedulerSchedules"]["Resource"].endswith(":schedule/default/sagectl-*")
    assert by_sid["EventBridgeRules"]["Resource"].endswith(":rule/sagectl-*")
    # UpdateEndpoint is authorised against the endpoint and the endpoint config (rule 17)
    assert "sagemaker:UpdateEndpoint" in by_sid["SageMakerEndpoints"]["Action"]
    assert "sagemaker:UpdateEndpoint" in by_sid["SageMakerEndpointConfigs"]["Action"]
    assert by_sid["AutoScalingServiceLinkedRole"]["Condition"] == {"StringEquals": {
        "iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}}
    # over a managed policy's 6,144 characters (--split), within a role's inline 10,240
    assert len(json.dumps(policy, separators=(",", ":"))) < 10240


def test_a_policy_over_a_managed_policy_s_size_is_split_into_complete_documents(
        cli: Cli, tmp_path: Path) -> None:
    args = ("iam-policy", "specs", "--env", "prod", "--mode", "apply")
    code, out, err = cli(*args, cwd=REPO)
    assert code == 0, err
    whole = json.loads(out)
    assert size(whole) > MANAGED_POLICY_CHARS  # the example estate's apply policy is
    assert "over the 6,144 of a managed policy" in err and "--split DIR" in err
    target = tmp_path / "policies"
    target.mkdir()
    (target / "sagectl-apply-9.json").write_text("{}")  # left from a bigger policy: replaced
    (target / "keep.json").write_text("{}")  # not ours: kept
    code, out, err = cli(*args, "--split", str(target), cwd=REPO)
    assert code == 0, err
    written = sorted(target.glob("sagectl-apply-*.json"))
    assert [p.name for p in written] == [f"sagectl-apply-{n}.json"
                                         for n in range(1, len(written) + 1)]
    assert len(written) >= 2 and (target / "keep.json").exists()
    documents = [json.loads(p.read_text()) for p in written]
    assert all(size(d) <= MANAGED_POLICY_CHARS and d["Version"] == "2012-10-17"
               for d in documents)
    # attached together, they grant exactly what the one document grants
    assert [s for d in documents for s in d["Statement"]] == whole["Statement"]
    assert all(str(p) in out for p in written)


def test_split_packs_in_order_and_refuses_a_statement_too_big_alone() -> None:
    statement = {"Sid": "S", "Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::bucket/" + "x" * 100}
    policy = {"Version": "2012-10-17",
              "Statement": [dict(statement, Sid=f"S{i}") for i in range(10)]}
    documents = split(policy, limit=size(policy) // 3)
    assert len(documents) == 4
    assert [s["Sid"] for d in documents for s in d["Statement"]] == [f"S{i}" for i in range(10)]
    with pytest.raises(ValueError, match="S0 alone"):
        split(policy, limit=100)
    assert split({"Version": "2012-10-17", "Statement": []}) == [
        {"Version": "2012-10-17", "Statement": []}]


def test_split_into_a_file_is_an_error(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("")
    code, _, err = cli("iam-policy", "--mode", "apply", "--split", str(target))
    assert code == 1 and "not a directory" in err


def test_without_specs_roles_and_buckets_are_patterns(cli: Cli) -> None:
    code, out, err = cli("iam-policy", "--mode", "apply")
    assert code == 0, err
    by_sid = {s["Sid"]: s for s in json.loads(out)["Statement"]}
    assert by_sid["PassRoleToEventBridge"]["Resource"] == "arn:aws:iam::*:role/*"
    assert by_sid["PipelineDefinitionUploads"]["Resource"] == \
        "arn:aws:s3:::*/sagectl/pipelines/*"
    assert by_sid["SageMakerEndpoints"]["Resource"] == "arn:aws:sagemaker:*:*:endpoint/*"
    code, out, err = cli("iam-policy", "--env", "prod", "--mode", "apply", cwd=REPO)  # specs/
    assert code == 0, err
    by_sid = {s["Sid"]: s for s in json.loads(out)["Statement"]}
    assert by_sid["PassRoleToSageMaker"]["Resource"] == "arn:aws:iam::222222222222:role/*"


def test_the_output_is_deterministic_and_sorted(cli: Cli) -> None:
    runs = [cli("iam-policy", "specs", "--env", "dev", "--mode", "apply", cwd=REPO)
            for _ in range(2)]
    assert runs[0] == runs[1] and runs[0][0] == 0
    statements = json.loads(runs[0][1])["Statement"]
    assert [s["Sid"] for s in statements] == sorted(s["Sid"] for s in statements)
    assert all(s["Action"] == sorted(s["Action"]) for s in statements)
    assert all(s["Sid"].isalnum() for s in statements)
    assert cli("iam-policy", "specs", "--env", "dev")[1] == \
        cli("iam-policy", "specs", "--env", "dev", "--mode", "plan")[1]  # plan is the default


@pytest.mark.parametrize("args, message", [
    (("specs",), "sagectl: choose an environment with --env (dev, prod)"),
    (("specs", "--env", "qa"), "sagectl: unknown environment 'qa' in specs (defined: dev, prod)"),
    (("no-such-dir", "--env", "dev"), "sagectl: no-such-dir: no such file or directory"),
    (("--state-table", "x"), "sagectl: --state-table 'x' is not a DynamoDB table name"),
])
def test_errors_are_one_line_and_exit_1(cli: Cli, args: tuple[str, ...], message: str) -> None:
    code, out, err = cli("iam-policy", *args, cwd=REPO)
    assert code == 1 and out == "" and message in err and "Traceback" not in err, err


def test_invalid_specs_are_reported_with_their_positions(cli: Cli, spec_tree: Any) -> None:
    root = spec_tree({"model.yaml": """
        apiVersion: sagectl/v1
        kind: Model
        metadata: {name: m}
        spec: {primaryContainer: {image: 1}}
        """})
    code, out, err = cli("iam-policy", str(root))
    assert code == 1 and out == "", err
    assert "model.yaml:4:" in err and "sagectl: the specs are invalid" in err


def test_the_tables_follow_sagectls_names() -> None:
    """The names sagectl gives what it makes fit the policy's patterns."""
    from fnmatch import fnmatchcase

    from reconciler.apply.state import DEFAULT_TABLE
    from reconciler.iam.policy import DEFAULT_STATE_TABLE
    from reconciler.kinds.pipeline.plan import S3_PREFIX
    from reconciler.kinds.pipeline.trigger import trigger_name

    assert DEFAULT_STATE_TABLE == DEFAULT_TABLE
    by_sid = {s["Sid"]: s for s in sagectl_policy("--mode", "apply")["Statement"]}
    name = trigger_name("p" * 200)
    assert fnmatchcase(f"arn:aws:scheduler:*:*:schedule/default/{name}",
                       by_sid["SchedulerSchedules"]["Resource"])
    assert fnmatchcase(f"arn:aws:events:*:*:rule/{name}", by_sid["EventBridgeRules"]["Resource"])
    assert fnmatchcase(f"arn:aws:s3:::bucket/{S3_PREFIX}/fraud/0123456789abcdef.json",
                       by_sid["PipelineDefinitionUploads"]["Resource"])


def test_the_tables_are_assembled_from_the_kinds() -> None:
    """Each kind declares what it calls; a part of the tables that contradicts another (a scope
    defined twice in two ways, an operation both read and write, a scope nobody defines) is
    refused, and an operation two kinds declare needs the scopes of both."""
    from reconciler.iam.tables import CORE, Op, Permissions, Scope, merge, read, write

    parts = {k.kind: k.permissions() for k in KINDS.ordered()}
    assert all(parts.values()), parts
    add_tags = OPERATIONS["sagemaker"]["AddTags"]
    assert set(add_tags.scopes) == {s for p in parts.values()
                                    for s in p.operations.get("sagemaker", {}).get("AddTags",
                                                                                   Op((), True)
                                                                                   ).scopes}
    assert len(add_tags.scopes) == 8  # one per SageMaker resource type the kinds tag (one for
    # the four monitoring job definition types, one for monitoring schedules)
    assert OPERATIONS["dynamodb"] == CORE.operations["dynamodb"]
    scope = Scope("Things", ("*",))
    with pytest.raises(ValueError, match="defined in two ways"):
        merge([Permissions({"x": scope}), Permissions({"x": Scope("Other", ("*",))})])
    with pytest.raises(ValueError, match="declared in two ways"):
        merge([Permissions({"x": scope}, {"s3": {"GetObject": read("x")}}),
               Permissions({"x": scope}, {"s3": {"GetObject": write("x")}})])
    with pytest.raises(ValueError, match="share a Sid"):
        merge([Permissions({"x": scope, "y": scope})])
    with pytest.raises(ValueError, match="not defined"):
        merge([Permissions({}, {"s3": {"GetObject": read("x")}})])


def test_call_observers_see_each_call_once_and_can_be_removed(emu: Emulator) -> None:
    from reconciler.aws import add_call_observer

    seen: list[tuple[str, str]] = []
    remove = add_call_observer(lambda service, operation: seen.append((service, operation)))
    aws = aws_for(emu)
    try:
        aws.client("sagemaker").list_models()
        remove()
        aws.client("sagemaker").list_models()
    finally:
        aws.close()
    assert seen == [("sagemaker", "ListModels")]
    assert aws.calls["sagemaker:ListModels"] == 2


def test_iam_policy_reads_the_spec_tree_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: every command parses the spec tree once (iam-policy read it twice: once for
    the environment names, once for the specs)."""
    from collections import Counter

    from reconciler.iam.policy import policy_context
    from reconciler.spec import files

    seen: Counter[str] = Counter()
    real = files.parse_file

    def counting(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen[str(path)] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(files, "parse_file", counting)
    ctx = policy_context(KINDS, str(REPO / "specs"), "dev")
    assert ctx.account == "111111111111"
    assert seen and max(seen.values()) == 1, seen
