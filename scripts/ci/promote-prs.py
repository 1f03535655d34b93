#!/usr/bin/env python3
"""Turn newer Approved model versions into pull requests: one per environment and model.

    promote-prs.py --env dev [--specs specs] [--report newer.json] [--base main]
                   [--remote origin] [--dry-run]

Runs in a checkout of the base branch (the workflow checks out ``main``). For the environment:

1. the report: ``sagectl promote --list-newer SPECS --env ENV --format json`` (or ``--report``,
   its saved output): every registry-backed Model pinned to an older version than its group's
   newest Approved one, with the package's metadata, and every version's status;
2. the pull requests: the open ones whose head branch is ``sagectl/promote/ENV/MODEL`` and whose
   body carries this script's marker (``<!-- sagectl-promote: {...} -->``: which versions it
   proposes);
3. for each Model with a newer version: when its pull request already proposes exactly those
   versions, nothing (a second run with nothing new writes nothing); otherwise a commit on the
   base with the promote edit (``sagectl promote MODEL --env ENV --version N``, or
   ``--latest-approved`` for a Model with containers of several groups), pushed (forced) to the
   branch, and the pull request created or its title and body updated: the package metadata
   (version, description, approval, model metrics URIs) and the plan of the edited specs
   (``sagectl plan --format markdown``), with a comment saying what changed;
4. each open promote pull request of the environment whose Model has nothing newer any more is
   closed with a comment saying why (the proposed version was Rejected, its approval was
   revoked, or the specs pin it already), and its branch deleted;
5. a pull request a person closed without merging is the answer no: the same versions are not
   proposed again (a newer approval is).

Nothing is ever applied: merging the pull request is the approval to deploy (the apply workflow
deploys main). Environment: GITHUB_TOKEN (contents: write, pull-requests: write),
GITHUB_REPOSITORY, GITHUB_API_URL (tests), SAGECTL (the command, default sagectl); the push uses
GITHUB_TOKEN for an https remote (through git's environment configuration, never the command line
or .git/config). Prints one line per Model (created, updated, unchanged, closed); with
``--dry-run``, what it would do: it reads the pull requests (when GITHUB_TOKEN is set) and
writes nothing, neither git nor GitHub. Exit 0 when every step
worked, 1 when one failed (the others still run), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from github_api import GitHub, GitHubError, fit  # this directory: run as a script

BRANCH = "sagectl/promote/{env}/{model}"
MARKER = re.compile(r"<!-- sagectl-promote: (\{.*?\}) -->")
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


class StepError(RuntimeError):
    pass


def sagectl(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [*shlex.split(os.environ.get("SAGECTL", "sagectl")), *args]
    result = subprocess.run(cmd, cwd=cwd, text=True, capture_output=True, check=False)
    if check and result.returncode != 0:
        raise StepError(f"{' '.join(['sagectl', *args])} failed (exit {result.returncode}): "
                        f"{result.stderr.strip()[-2000:]}")
    return result


def git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, text=True, capture_output=True,
                            check=False, env=env)
    if result.returncode != 0:
        raise StepError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def push_env(remote_url: str) -> dict[str, str]:
    """git's environment for the push: the token as an HTTP header for an https remote, set
    through GIT_CONFIG_* (never on the command line, never written to .git/config)."""
    env = dict(os.environ)
    token = os.environ.get("GITHUB_TOKEN", "")
    if token and remote_url.startswith("https://"):
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        count = int(env.get("GIT_CONFIG_COUNT", "0"))
        env.update({"GIT_CONFIG_COUNT": str(count + 1),
                    f"GIT_CONFIG_KEY_{count}": "http.extraheader",
                    f"GIT_CONFIG_VALUE_{count}": f"AUTHORIZATION: basic {basic}"})
    return env


# -- what is wanted ---------------------------------------------------------------------------

def proposal(env: str, candidate: dict[str, Any]) -> dict[str, Any]:
    versions = {p["group"]: p["latestApproved"] for p in candidate["pins"]}
    return {"env": env, "model": candidate["model"], "versions": versions}


def marker(wanted: dict[str, Any]) -> str:
    return f"<!-- sagectl-promote: {json.dumps(wanted, sort_keys=True)} -->"


def read_marker(body: str | None) -> dict[str, Any] | None:
    found = MARKER.search(body or "")
    if not found:
        return None
    try:
        data = json.loads(found.group(1))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _versions(wanted: dict[str, Any]) -> str:
    return ", ".join(f"{g} version {v}" for g, v in sorted((wanted.get("versions") or {}).items()))


def title(wanted: dict[str, Any]) -> str:
    return f"Promote {wanted['model']} in {wanted['env']} to {_versions(wanted)}"


def body(wanted: dict[str, Any], candidate: dict[str, Any], plan: str, command: str,
         base: str, run_url: str) -> str:
    lines = [marker(wanted), "",
             f"A newer **Approved** version in the model registry for `{wanted['model']}` in "
             f"`{wanted['env']}`. Merging this pull request is the approval to deploy it (the "
             "apply workflow deploys `main`); nothing is deployed before. Closing it leaves the "
             "current version; this pull request is updated when a newer version is approved "
             "and closed if this one is rejected.", "",
             "| container | group | pinned | proposed |", "|---|---|---|---|"]
    lines += [f"| `{p['label']}` | `{p['group']}` | {p['current']} | {p['latestApproved']} |"
              for p in candidate["pins"]]
    for package in candidate["packages"]:
        lines += ["", f"#### `{package['arn']}`", "",
                  f"- version: {package['version']}",
                  f"- approval: {package['approvalStatus']}"
                  + (f" ({package['approvalDescription']})"
                     if package.get("approvalDescription") else ""),
                  f"- description: {package.get('description') or '(none)'}",
                  f"- registered: {package.get('creationTime') or '(unknown)'}"]
        lines += [f"- metrics `{m['name']}`: `{m['s3Uri']}`" for m in package["metrics"]]
        if not package["metrics"]:
            lines.append("- metrics: (none registered)")
    lines += ["", f"Made by `{command}`; merge it to deploy, close it to stay.", "",
              "### Plan", "",
              f"_The plan of this branch (`{base[:12]}` with the edit) when it was made; the "
              "branch is not rebuilt when the base moves on (that would dismiss reviews): the "
              "plan workflow's comment, when it runs here, is the current one._", "",
              plan.strip() or "_(the plan printed nothing)_", ""]
    if run_url:
        lines += ["---", f"<sub>[workflow run]({run_url})</sub>", ""]
    return fit("\n".join(lines))


def why_closed(wanted: dict[str, Any], report: dict[str, Any]) -> str:
    """Why the pull request proposing ``wanted`` has nothing to do any more."""
    reasons = []
    for group, version in sorted((wanted.get("versions") or {}).items()):
        status = ((report["groups"].get(group) or {}).get("statuses") or {}).get(str(version))
        if status == "Rejected":
            reasons.append(f"{group} version {version} was **Rejected** in the model registry")
        elif status is not None and status != "Approved":
            reasons.append(f"{group} version {version} is no longer Approved (now {status})")
        elif status is None and group not in report["groups"]:
            reasons.append(f"`{wanted.get('model')}` no longer pins {group} in "
                           f"`{wanted.get('env')}`")
        else:
            reasons.append(f"{group} version {version} is not newer than what the specs pin now")
    return "; ".join(reasons) or "nothing newer to promote"


# -- GitHub and git ---------------------------------------------------------------------------

def open_prs(gh: GitHub, env: str) -> dict[str, dict[str, Any]]:
    """The open promote pull requests of ``env``, by model (the branch says which)."""
    prefix = BRANCH.format(env=env, model="")
    found: dict[str, dict[str, Any]] = {}
    for pr in gh.paginate(gh.repo_path("/pulls"), {"state": "open"}):
        ref = (pr.get("head") or {}).get("ref", "")
        if ref.startswith(prefix) and read_marker(pr.get("body")) is not None:
            found[ref[len(prefix):]] = pr
    return found


def declined(gh: GitHub, branch: str, wanted: dict[str, Any]) -> dict[str, Any] | None:
    """A pull request for exactly ``wanted`` that a person closed without merging: the answer was
    no, and it is not asked again (a newer approval asks anew). Pull requests this script closed
    carry ``closed`` in their marker and do not count."""
    owner = gh.repo.split("/", 1)[0]
    for pr in gh.paginate(gh.repo_path("/pulls"), {"state": "closed", "head": f"{owner}:{branch}"}):
        if not pr.get("merged_at") and read_marker(pr.get("body")) == wanted:
            return pr
    return None


def make_branch(repo: Path, base: str, specs: str, env: str, candidate: dict[str, Any],
                wanted: dict[str, Any], remote: str) -> tuple[str, str, str]:
    """Commit the promote edit on ``base`` in a scratch worktree, push it: (the plan markdown,
    the promote command, the base commit). ``--version N`` when the Model pins one group:
    exactly the version the report found, even if another is approved meanwhile."""
    branch = BRANCH.format(env=env, model=candidate["model"])
    versions = list(wanted["versions"].values())
    flags = ["--version", str(versions[0])] if len(versions) == 1 else ["--latest-approved"]
    command = f"sagectl promote {candidate['model']} --env {env} {' '.join(flags)}"
    with tempfile.TemporaryDirectory(prefix="sagectl-promote-") as scratch:
        tree = Path(scratch) / "tree"
        git("worktree", "add", "--detach", str(tree), base, cwd=repo)
        try:
            commit = git("rev-parse", "HEAD", cwd=tree)
            sagectl("promote", candidate["model"], specs, "--env", env, *flags, cwd=tree)
            plan = sagectl("plan", specs, "--env", env, "--format", "markdown", cwd=tree,
                           check=False)
            if plan.returncode != 0:
                plan_text = (f"_`sagectl plan` failed (exit {plan.returncode}); see the "
                             f"workflow run._\n\n```\n{plan.stderr.strip()[-3000:]}\n```")
            else:
                plan_text = plan.stdout
            git("add", "-A", cwd=tree)
            git("-c", f"user.name={BOT[0]}", "-c", f"user.email={BOT[1]}", "commit", "-q",
                "-m", title(wanted), "-m", f"{command}\n\n{marker(wanted)}",
                cwd=tree)
            url = git("remote", "get-url", "--push", remote, cwd=repo)
            git("push", "-q", "--force", remote, f"HEAD:refs/heads/{branch}", cwd=tree,
                env=push_env(url))
        finally:
            git("worktree", "remove", "--force", str(tree), cwd=repo)
    return plan_text, command, commit


def run_url() -> str:
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repo, run = os.environ.get("GITHUB_REPOSITORY"), os.environ.get("GITHUB_RUN_ID")
    return f"{server}/{repo}/actions/runs/{run}" if repo and run else ""


def reconcile(gh: GitHub | None, report: dict[str, Any], repo: Path, specs: str, base: str,
              remote: str, dry_run: bool) -> tuple[list[str], bool]:
    """(one line per model, whether every step worked)."""
    env = report["environment"]
    if not env:
        raise StepError("the report names no environment")
    lines, ok = [], True
    prs = open_prs(gh, env) if gh is not None else {}
    candidates = {c["model"]: c for c in report["candidates"]}
    for model, candidate in sorted(candidates.items()):
        wanted = proposal(env, candidate)
        pr = prs.get(model)
        had = read_marker(pr.get("body")) if pr else None
        if had == wanted:
            lines.append(f"{env}/{model}: unchanged #{pr['number']} ({title(wanted)})")
            continue
        no = declined(gh, BRANCH.format(env=env, model=model), wanted) \
            if gh is not None and pr is None else None
        if no is not None:
            lines.append(f"{env}/{model}: declined #{no['number']} (closed without merging); "
                         f"not proposed again: {title(wanted)}")
            continue
        if dry_run:
            lines.append(f"{env}/{model}: would {'update' if pr else 'create'}: {title(wanted)}")
            continue
        assert gh is not None
        try:
            plan, command, commit = make_branch(repo, base, specs, env, candidate, wanted,
                                                remote)
            fields = {"title": title(wanted),
                      "body": body(wanted, candidate, plan, command, commit, run_url())}
            if pr is None:
                made, _ = gh.request("POST", gh.repo_path("/pulls"), {
                    **fields, "head": BRANCH.format(env=env, model=model), "base": base_name(
                        base), "maintainer_can_modify": False})
                lines.append(f"{env}/{model}: created #{made['number']} ({fields['title']})")
                continue
            gh.request("PATCH", gh.repo_path(f"/pulls/{pr['number']}"), fields)
            note = f"Now proposing {_versions(wanted)}"
            if had:
                gone = why_closed(had, report)
                note += f" instead of {_versions(had)}" + (
                    f": {gone}" if "not newer" not in gone else "")
            note += "."
            gh.request("POST", gh.repo_path(f"/issues/{pr['number']}/comments"), {"body": note})
            lines.append(f"{env}/{model}: updated #{pr['number']} ({fields['title']})")
        except (StepError, GitHubError) as err:
            ok = False
            lines.append(f"{env}/{model}: failed: {err}")
    for model, pr in sorted(prs.items()):
        if model in candidates:
            continue
        had = read_marker(pr.get("body")) or {}
        reason = why_closed(had, report)
        if dry_run:
            lines.append(f"{env}/{model}: would close #{pr['number']}: {reason}")
            continue
        assert gh is not None
        try:
            gh.request("POST", gh.repo_path(f"/issues/{pr['number']}/comments"),
                       {"body": f"Closing: {reason}. Nothing was deployed."})
            text = pr.get("body") or ""
            found = MARKER.search(text)
            closed = marker({**had, "closed": reason})  # not a person's "no" (``declined``)
            text = text.replace(found.group(0), closed, 1) if found else closed + "\n" + text
            gh.request("PATCH", gh.repo_path(f"/pulls/{pr['number']}"),
                       {"state": "closed", "body": text})
            gh.request("DELETE", gh.repo_path(
                f"/git/refs/heads/{BRANCH.format(env=env, model=model)}"))
            lines.append(f"{env}/{model}: closed #{pr['number']} ({reason})")
        except GitHubError as err:
            ok = False
            lines.append(f"{env}/{model}: failed to close #{pr['number']}: {err}")
    for rejected in report.get("rejected") or []:
        lines.append(f"{env}/{rejected['model']}: warning: {rejected['label']} pins "
                     f"{rejected['group']} version {rejected['version']}, which is "
                     f"{rejected['status']}")
    return lines, ok


def base_name(base: str) -> str:
    return base.removeprefix("origin/").removeprefix("refs/heads/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--specs", default=os.environ.get("SPECS_DIR", "specs"))
    parser.add_argument("--report", type=Path,
                        help="saved `sagectl promote --list-newer --format json` output")
    parser.add_argument("--base", default="main",
                        help="the branch the pull requests target, checked out here (main)")
    parser.add_argument("--remote", default="origin")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done")
    args = parser.parse_args(argv)

    repo = Path.cwd()
    try:
        if args.report:
            text = args.report.read_text(encoding="utf-8")
        else:
            text = sagectl("promote", "--list-newer", args.specs, "--env", args.env,
                           "--format", "json", cwd=repo).stdout
        report = json.loads(text)
        if report.get("environment") != args.env:
            raise StepError(f"the report is for {report.get('environment')!r}, not {args.env!r}")
        gh = GitHub() if not args.dry_run or os.environ.get("GITHUB_TOKEN") else None
        lines, ok = reconcile(gh, report, repo, args.specs, args.base, args.remote,
                              args.dry_run)
    except (StepError, GitHubError, OSError, ValueError) as err:
        print(f"promote-prs: {args.env}: {err}", file=sys.stderr)
        return 1
    print("\n".join(lines) if lines else f"{args.env}: nothing to promote")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
