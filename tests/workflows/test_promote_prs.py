"""The approval loop (``scripts/ci/promote-prs.py``): a newer Approved version in a served
emulator's registry becomes one pull request per environment and model on a fake GitHub API, with
the promote edit pushed to its branch (a local bare repository stands for GitHub's git), the plan
and the package's metadata; a second run changes nothing, a newer approval updates the same pull
request, a rejection closes it. Nothing is ever applied."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest

from sagemaker_emulator.server import RemoteEmulator
from tests.test_workflows import load, run_script, runs, script_env, uses

REGION, ACCOUNT = "eu-west-1", "111111111111"
ENV = """\
apiVersion: sagectl/v1
kind: Environment
metadata: {{name: {name}}}
spec:
  region: eu-west-1
  accountId: "111111111111"
  variables:
    scorerVersion: 1  # promoted by pull request
"""
MODELS = """\
apiVersion: sagectl/v1
kind: Model
metadata: {name: scorer}
spec:
  executionRoleArn: arn:aws:iam::111111111111:role/inference
  primaryContainer:
    modelPackageGroupName: fraud-models
    modelPackageVersion: ${scorerVersion}
"""
METRICS = {"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                           "S3Uri": "s3://registry/fraud/quality.json"}}}


class FakePulls:
    """GitHub's pulls, their comments and branch deletion: what promote-prs.py calls."""

    def __init__(self) -> None:
        self.pulls: dict[int, dict[str, Any]] = {}
        self.comments: list[tuple[int, str]] = []
        self.deleted: list[str] = []
        self.writes: list[tuple[str, str]] = []
        self.dispatches: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any
               ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:3] != ["repos", "acme", "ml-estate"]:
            return 404, {"message": "Not Found"}
        rest = parts[3:]
        if method != "GET":
            self.writes.append((method, "/".join(rest)))
        if rest == ["dispatches"] and method == "POST":  # repository_dispatch: 204, no body
            self.dispatches.append(body)
            return 204, None
        if rest == ["pulls"] and method == "GET":
            state = query.get("state", ["open"])[0]
            head = query.get("head", [""])[0]
            return 200, [p for p in self.pulls.values() if p["state"] == state
                         and (not head or head == f"acme:{p['head']['ref']}")]
        if rest == ["pulls"] and method == "POST":
            if any(p["head"]["ref"] == body["head"] and p["state"] == "open"
                   for p in self.pulls.values()):
                return 422, {"message": "A pull request already exists"}
            number = len(self.pulls) + 1
            self.pulls[number] = {"number": number, "state": "open", "title": body["title"],
                                  "body": body["body"], "head": {"ref": body["head"]},
                                  "merged_at": None,
                                  "base": {"ref": body["base"]}}
            return 201, self.pulls[number]
        if rest[:1] == ["pulls"] and method == "PATCH":
            self.pulls[int(rest[1])].update(body)
            return 200, self.pulls[int(rest[1])]
        if rest[:1] == ["issues"] and rest[2:] == ["comments"] and method == "POST":
            self.comments.append((int(rest[1]), body["body"]))
            return 201, {"id": len(self.comments)}
        if rest[:3] == ["git", "refs", "heads"] and method == "DELETE":
            self.deleted.append("/".join(rest[3:]))
            return 204, None
        return 404, {"message": f"no fake for {method} {path}"}


@pytest.fixture
def github() -> Iterator[tuple[FakePulls, dict[str, str]]]:
    fake = FakePulls()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def serve(self) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length)) if length else None
            if self.headers.get("Authorization") != "Bearer test-token":
                status, out = 401, {"message": "Bad credentials"}
            else:
                with fake.lock:
                    status, out = fake.handle(self.command, url.path, parse_qs(url.query), data)
            raw = b"" if out is None else json.dumps(out).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = do_DELETE = serve

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {"GITHUB_API_URL": f"http://127.0.0.1:{server.server_address[1]}",
           "GITHUB_TOKEN": "test-token", "GITHUB_REPOSITORY": "acme/ml-estate",
           "GITHUB_SERVER_URL": "https://github.test", "GITHUB_RUN_ID": "42"}
    try:
        yield fake, env
    finally:
        server.shutdown()
        server.server_close()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          cwd=cwd, text=True, capture_output=True, check=True).stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A checkout of main with two environments pinning scorer to version 1, and its remote."""
    remote, repo = tmp_path / "remote.git", tmp_path / "repo"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    (repo / "specs" / "environments").mkdir(parents=True)
    for name in ("dev", "prod"):
        (repo / "specs" / "environments" / f"{name}.yaml").write_text(ENV.format(name=name))
    (repo / "specs" / "models.yaml").write_text(MODELS)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "specs")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    return repo, remote


@pytest.fixture
def registry(server: str) -> Iterator[Any]:
    """fraud-models with version 1 Approved (what the specs pin)."""
    emu = RemoteEmulator(server, REGION)
    emu.reset()
    emu.freeze()
    sm = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                       region_name=REGION).client("sagemaker", endpoint_url=server)
    sm.meta.events.register("before-sign.*.*", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", ACCOUNT))
    sm.create_model_package_group(ModelPackageGroupName="fraud-models")
    sm.versions = 0

    def register(status: str = "Approved", description: str = "") -> int:
        sm.create_model_package(
            ModelPackageGroupName="fraud-models", ModelApprovalStatus=status,
            ModelPackageDescription=description, ModelMetrics=METRICS,
            InferenceSpecification={
                "Containers": [{"Image": f"111111111111.dkr.ecr.{REGION}.amazonaws.com/x:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"]})
        emu.advance(60)
        sm.versions += 1
        return sm.versions

    def set_status(version: int, status: str) -> None:
        sm.update_model_package(
            ModelPackageArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud-models/"
                            f"{version}", ModelApprovalStatus=status)

    sm.register, sm.set_status = register, set_status
    register("Approved", "first")
    yield sm
    emu.unfreeze()


def promote(repo: Path, env: dict[str, str], *names: str) -> list[str]:
    lines = []
    for name in names:
        result = run_script("promote-prs.py", "--env", name, env=env, cwd=repo)
        assert result.returncode == 0, result.stdout + result.stderr
        lines += result.stdout.splitlines()
    return lines


def branch_pin(remote: Path, env: str) -> str:
    text = git(remote, "show", f"sagectl/promote/{env}/scorer:specs/environments/{env}.yaml")
    return next(line.strip() for line in text.splitlines() if "scorerVersion" in line)


def test_an_approval_becomes_one_pull_request_per_environment_and_model(
        server: str, registry: Any, checkout: tuple[Path, Path], github: Any) -> None:
    repo, remote = checkout
    fake, gh_env = github
    env = script_env(SAGECTL_EMULATOR_URL=server, **gh_env)

    assert promote(repo, env, "dev", "prod") == ["dev: nothing to promote",
                                                 "prod: nothing to promote"]
    assert fake.writes == []

    registry.register("Approved", "retrained on November")  # version 2
    lines = promote(repo, env, "dev", "prod")
    assert lines == [
        "dev/scorer: created #1 (Promote scorer in dev to fraud-models version 2)",
        "prod/scorer: created #2 (Promote scorer in prod to fraud-models version 2)"]
    dev, prod = fake.pulls[1], fake.pulls[2]
    assert dev["head"]["ref"] == "sagectl/promote/dev/scorer" and dev["base"]["ref"] == "main"
    assert prod["head"]["ref"] == "sagectl/promote/prod/scorer"
    body = dev["body"]
    assert "| `scorer modelPackageVersion` | `fraud-models` | 1 | 2 |" in body
    assert f"#### `arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud-models/2`" in body
    assert "- description: retrained on November" in body and "- approval: Approved" in body
    assert "- metrics `ModelQuality.Statistics`: `s3://registry/fraud/quality.json`" in body
    assert "Made by `sagectl promote scorer --env dev --version 2`" in body
    assert "### Plan" in body and "failed" not in body
    assert "| `+` | `Model.scorer` | create | new |" in body
    assert "fraud-models: pinned version 2 (Approved)" in body
    assert "actions/runs/42" in body
    assert f"`{git(repo, 'rev-parse', 'main')[:12]}` with the edit" in body
    # the edit is the promote edit, on the branch only: main and the checkout are untouched
    assert branch_pin(remote, "dev") == "scorerVersion: 2  # promoted by pull request"
    assert branch_pin(remote, "prod") == "scorerVersion: 2  # promoted by pull request"
    assert git(remote, "diff", "--stat", "main", "sagectl/promote/dev/scorer").splitlines()[0] \
        .strip().startswith("specs/environments/dev.yaml")
    assert git(repo, "status", "--porcelain") == ""

    # a second run: nothing new, nothing written
    writes = len(fake.writes)
    head = git(remote, "rev-parse", "sagectl/promote/dev/scorer")
    assert promote(repo, env, "dev", "prod") == [
        "dev/scorer: unchanged #1 (Promote scorer in dev to fraud-models version 2)",
        "prod/scorer: unchanged #2 (Promote scorer in prod to fraud-models version 2)"]
    assert len(fake.writes) == writes
    assert git(remote, "rev-parse", "sagectl/promote/dev/scorer") == head

    # a newer approval updates the same pull request (a pending one does nothing)
    registry.register("PendingManualApproval")  # 3
    registry.register("Approved", "more data")  # 4
    assert promote(repo, env, "dev") == [
        "dev/scorer: updated #1 (Promote scorer in dev to fraud-models version 4)"]
    assert len(fake.pulls) == 2 and fake.pulls[1]["title"].endswith("version 4")
    assert "- description: more data" in fake.pulls[1]["body"]
    assert branch_pin(remote, "dev") == "scorerVersion: 4  # promoted by pull request"
    assert fake.comments[-1] == (1, "Now proposing fraud-models version 4 instead of "
                                    "fraud-models version 2.")

    # 4 is rejected: back to the newest Approved one, saying why
    registry.set_status(4, "Rejected")
    assert promote(repo, env, "dev") == [
        "dev/scorer: updated #1 (Promote scorer in dev to fraud-models version 2)"]
    assert fake.comments[-1] == (1, "Now proposing fraud-models version 2 instead of "
                                    "fraud-models version 4: fraud-models version 4 was "
                                    "**Rejected** in the model registry.")

    # 2 is rejected too: nothing newer than the pin: both pull requests close, branches go
    registry.set_status(2, "Rejected")
    assert promote(repo, env, "dev", "prod") == [
        "dev/scorer: closed #1 (fraud-models version 2 was **Rejected** in the model registry)",
        "prod/scorer: closed #2 (fraud-models version 2 was **Rejected** in the model "
        "registry)"]
    assert [p["state"] for p in fake.pulls.values()] == ["closed", "closed"]
    assert fake.comments[-1] == (2, "Closing: fraud-models version 2 was **Rejected** in the "
                                    "model registry. Nothing was deployed.")
    assert fake.deleted == ["sagectl/promote/dev/scorer", "sagectl/promote/prod/scorer"]
    writes = len(fake.writes)
    assert promote(repo, env, "dev", "prod") == ["dev: nothing to promote",
                                                 "prod: nothing to promote"]
    assert len(fake.writes) == writes

    # approved again: proposed again (closing it was sagectl's doing, not a person's "no")
    registry.set_status(2, "Approved")
    assert promote(repo, env, "dev") == [
        "dev/scorer: created #3 (Promote scorer in dev to fraud-models version 2)"]
    # a person closes it without merging: that is a no, and it is not asked again ...
    fake.pulls[3]["state"] = "closed"
    writes = len(fake.writes)
    assert promote(repo, env, "dev") == [
        "dev/scorer: declined #3 (closed without merging); not proposed again: Promote scorer in "
        "dev to fraud-models version 2"]
    assert len(fake.writes) == writes
    # ... until a newer version is approved
    registry.register("Approved", "fixed")  # 5
    assert promote(repo, env, "dev") == [
        "dev/scorer: created #4 (Promote scorer in dev to fraud-models version 5)"]


def test_promote_workflow_runs_on_approval_and_schedule_and_never_deploys() -> None:
    wf = load("promote.yml")
    assert wf["on"]["repository_dispatch"] == {"types": ["sagectl-model-approved"]}
    assert wf["on"]["schedule"] and "workflow_dispatch" in wf["on"]
    assert wf["permissions"] == {} and wf["concurrency"]["cancel-in-progress"] is False
    envs, job = wf["jobs"]["environments"], wf["jobs"]["promote"]
    assert "scripts/ci/environments.py --matrix --github-output" in runs(envs)
    assert envs["permissions"] == {"contents": "read"}
    assert job["strategy"]["matrix"]["target"] == (
        "${{ fromJSON(needs.environments.outputs.matrix) }}")
    assert job["strategy"]["fail-fast"] is False  # max-parallel: tests/workflows/test_fanout.py
    assert job["strategy"]["max-parallel"] == "${{ fromJSON(vars.SAGECTL_MAX_PARALLEL || '4') }}"
    assert job["permissions"] == {"contents": "write", "pull-requests": "write",
                                  "id-token": "write"}
    (aws,) = uses(job, "aws-actions/configure-aws-credentials")
    assert "AWS_PLAN_ROLE_ARN" in aws["with"]["role-to-assume"]  # read-only: no apply role
    assert "APPLY" not in json.dumps(wf) and "environment" not in job
    text = runs(job)
    assert "scripts/ci/promote-prs.py --env" in text
    assert "sagectl apply" not in text and "apply.sh" not in text
    (step,) = [s for s in job["steps"] if "promote-prs.py" in str(s.get("run"))]
    assert "GITHUB_TOKEN" in step["env"]  # the step only, never the job or the checkout


def test_dry_run_says_what_it_would_do_and_writes_nothing(
        server: str, registry: Any, checkout: tuple[Path, Path], tmp_path: Path) -> None:
    repo, remote = checkout
    registry.register("Approved", "second")
    env = script_env(SAGECTL_EMULATOR_URL=server)
    result = run_script("promote-prs.py", "--env", "prod", "--dry-run", env=env, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "prod/scorer: would create: Promote scorer in prod to fraud-models version 2"]
    assert git(remote, "branch", "--list") == "* main"
    result = run_script("promote-prs.py", "--env", "prod", "--report", str(tmp_path / "none"),
                        env=env, cwd=repo)
    assert result.returncode == 1 and "promote-prs: prod:" in result.stderr


REGISTRY_ENV = """\
apiVersion: sagectl/v1
kind: Environment
metadata: {name: registry}
spec:
  region: eu-west-1
  accountId: "111111111111"
"""
REGISTRY_SPECS = """\
apiVersion: sagectl/v1
kind: ModelPackageGroup
metadata: {name: fraud-models}
spec:
  modelPackageGroupDescription: fraud models
---
apiVersion: sagectl/v1
kind: ApprovalTrigger
metadata: {name: promote-on-approval}
spec:
  repository: acme/ml-estate
  tokenSecretArn: %s
  roleArn: arn:aws:iam::111111111111:role/sagectl-approval-dispatch
"""


def test_an_approval_in_the_registry_dispatches_and_the_workflow_opens_one_pr_per_environment(
        server: str, checkout: tuple[Path, Path], github: Any, tmp_path: Path) -> None:
    """The whole loop on one served emulator and a fake GitHub: the registry environment's
    ApprovalTrigger (applied by sagectl) turns an approval into exactly one repository_dispatch
    (rules 80-83), to which promote.yml answers by running promote-prs.py per environment: one
    pull request per environment; a pending version sends nothing, and a rejection sends nothing
    either: the scheduled run closes the pull requests."""
    repo, _ = checkout
    fake, gh_env = github
    emu = RemoteEmulator(server, REGION)
    emu.reset()
    emu.freeze()
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)

    def client(service: str) -> Any:
        c = session.client(service, endpoint_url=server)
        c.meta.events.register("before-sign.*.*", lambda request, **_: request.headers
                               .__setitem__("x-moto-account-id", ACCOUNT))
        return c

    token = client("secretsmanager").create_secret(Name="github-dispatch",
                                                   SecretString="test-token")["ARN"]
    specs = tmp_path / "registry-specs"
    (specs / "environments").mkdir(parents=True)
    (specs / "environments" / "registry.yaml").write_text(REGISTRY_ENV)
    (specs / "registry.yaml").write_text(REGISTRY_SPECS % token)
    env = script_env(SAGECTL_EMULATOR_URL=server, **gh_env)
    applied = subprocess.run([sys.executable, "-m", "reconciler", "apply", str(specs), "--env",
                              "registry", "--auto-approve"], env=env, capture_output=True,
                             text=True, check=False)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "test-token" not in applied.stdout + applied.stderr
    emu.route_host("api.github.com", gh_env["GITHUB_API_URL"])

    sm = client("sagemaker")
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud-models/%d"

    def register(status: str) -> None:
        sm.create_model_package(
            ModelPackageGroupName="fraud-models", ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/x:1"}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})
        emu.advance(60)

    def workflow() -> list[str]:
        """promote.yml's answer to one dispatch: its matrix, one promote-prs.py per environment."""
        return promote(repo, env, "dev", "prod")

    listens = load("promote.yml")["on"]["repository_dispatch"]["types"]
    register("Approved")  # version 1: what the specs pin
    assert [d["event_type"] for d in fake.dispatches] == ["sagectl-model-approved"]
    assert fake.dispatches[0]["event_type"] in listens
    assert fake.dispatches[0]["client_payload"] == {
        "group": "fraud-models", "version": 1, "modelPackageArn": arn % 1,
        "account": ACCOUNT, "region": REGION}
    assert workflow() == ["dev: nothing to promote", "prod: nothing to promote"]

    register("PendingManualApproval")  # version 2: no event matches the rule
    assert len(fake.dispatches) == 1
    sm.update_model_package(ModelPackageArn=arn % 2, ModelApprovalStatus="Approved")
    assert len(fake.dispatches) == 2 and fake.dispatches[1]["client_payload"]["version"] == 2
    assert workflow() == [
        "dev/scorer: created #1 (Promote scorer in dev to fraud-models version 2)",
        "prod/scorer: created #2 (Promote scorer in prod to fraud-models version 2)"]
    assert workflow() == [  # the same dispatch seen twice (rule 80: "may send multiple events")
        "dev/scorer: unchanged #1 (Promote scorer in dev to fraud-models version 2)",
        "prod/scorer: unchanged #2 (Promote scorer in prod to fraud-models version 2)"]

    sm.update_model_package(ModelPackageArn=arn % 2, ModelApprovalStatus="Rejected")
    assert len(fake.dispatches) == 2  # the rule matches approvals only: the schedule closes
    assert workflow() == [
        "dev/scorer: closed #1 (fraud-models version 2 was **Rejected** in the model registry)",
        "prod/scorer: closed #2 (fraud-models version 2 was **Rejected** in the model "
        "registry)"]
    [delivered] = {d["outcome"] for d in emu.api_destination_invocations()}
    assert delivered == "succeeded"
    assert all("test-token" not in json.dumps(d) for d in emu.api_destination_invocations())
    emu.unfreeze()
