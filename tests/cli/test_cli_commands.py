"""Commands that behave like their neighbours: ``show``, the region rule, one spelling for output
and parallelism, help with examples, did-you-mean, the no-credentials message, completion, and a
parser that imports no AWS machinery."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli.main import build_parser
from tests.conftest import EXAMPLES, REPO

CLI = Callable[..., tuple[int, str, str]]


def _saved_plan(cli: CLI, tmp_path: Path) -> Path:
    out = tmp_path / "plan.json"
    code, _, err = cli("plan", str(EXAMPLES), "--env", "dev", "--emulator", "--out", str(out))
    assert code == 0, err
    return out


def test_show_renders_a_saved_plan_as_plan_does(cli: CLI, tmp_path: Path) -> None:
    saved = _saved_plan(cli, tmp_path)
    code, text, _ = cli("show", str(saved))
    assert code == 0
    assert "+ Endpoint." in text and "environment dev" in text
    code, markdown, _ = cli("show", str(saved), "--format", "markdown")
    assert code == 0 and markdown != text and "Endpoint" in markdown
    code, data, _ = cli("show", str(saved), "--format", "json")
    assert code == 0
    assert json.loads(data) == json.loads(saved.read_text(encoding="utf-8"))


def test_show_refuses_a_file_that_is_not_a_plan(cli: CLI) -> None:
    env_file = EXAMPLES / "environments" / "dev.yaml"
    code, out, err = cli("show", str(env_file))
    assert code == 1 and out == ""
    assert f"{env_file}:1:1: not a saved sagectl plan: invalid JSON" in err
    assert "Traceback" not in err


def test_plan_of_a_saved_plan_points_at_show_and_apply(cli: CLI, tmp_path: Path) -> None:
    saved = _saved_plan(cli, tmp_path)
    code, out, err = cli("plan", str(saved))
    assert code == 1 and out == ""
    assert f"sagectl show {saved}" in err and f"sagectl apply {saved}" in err


@pytest.mark.parametrize("command", [("plan",), ("drift",), ("history", "fraud-detector")])
def test_a_region_other_than_the_environments_is_an_error_naming_both(
        cli: CLI, command: tuple[str, ...]) -> None:
    code, out, err = cli(*command, str(EXAMPLES), "--env", "dev", "--emulator",
                         "--region", "us-west-2")
    assert code == 1 and out == ""
    assert "--region is us-west-2, but environment 'dev' is region eu-west-1" in err
    assert "environments/dev.yaml" in err


def test_the_environments_own_region_may_be_repeated(cli: CLI) -> None:
    code, _, err = cli("plan", str(EXAMPLES), "--env", "dev", "--emulator",
                       "--region", "eu-west-1")
    assert code == 0, err


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found[f"{prefix}{name}"] = child
                    walk(child, f"{prefix}{name} ")

    walk(parser, "")
    return found


def test_every_command_has_a_description_examples_and_help_for_each_argument() -> None:
    commands = _subparsers()
    assert {"validate", "plan", "show", "apply", "unlock", "history", "drift", "completion",
            "emulator serve"} <= set(commands)
    for name, p in commands.items():
        assert p.description, name
        lines = (p.epilog or "").splitlines()
        assert lines and lines[0] == "examples:", name
        runs = [line for line in lines[1:] if "sagectl" in line]
        assert 2 <= len(runs) <= 4, (name, runs)
        for action in p._actions:
            if action.help is argparse.SUPPRESS or isinstance(action,
                                                              argparse._SubParsersAction):
                continue
            assert action.help, (name, action.dest)
        assert "examples:\n  " in p.format_help(), name  # kept as written, not re-wrapped


def test_unlock_and_history_do_not_mention_a_saved_plan() -> None:
    commands = _subparsers()
    for name in ("unlock", "history"):
        assert "saved plan" not in commands[name].format_help(), name
    assert "saved plan" in commands["apply"].format_help()


@pytest.mark.parametrize(("args", "suggestion"), [
    (["paln"], "did you mean 'plan'?"),
    (["plan", "--fromat", "json"], "did you mean '--format'?"),
    (["history", "x", "--jsn"], "did you mean '--json'?"),
])
def test_unknown_commands_and_options_suggest_the_closest(
        cli: CLI, capsys: pytest.CaptureFixture[str], args: list[str], suggestion: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli(*args)
    assert exit_.value.code == 2
    assert suggestion in capsys.readouterr().err


def test_an_unknown_env_suggests_the_closest(cli: CLI) -> None:
    code, _, err = cli("validate", str(EXAMPLES), "--env", "dve")
    assert code == 1
    assert "unknown environment 'dve' (did you mean 'dev'?); defined: dev" in err


def test_format_json_and_the_json_alias_are_the_same(cli: CLI) -> None:
    parser = build_parser()
    for spelling in (["--format", "json"], ["--json"]):
        args = parser.parse_args(["apply", "specs", *spelling])
        assert args.format == "json" and args.json is True
        args = parser.parse_args(["history", "e", *spelling])
        assert args.format == "json" and args.json is True
    args = parser.parse_args(["apply", "specs"])
    assert args.format == "text" and args.json is False


def test_parallel_is_the_one_name_and_concurrency_still_works(
        capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    for command in (["plan"], ["apply"], ["drift"], ["import", "e"], ["promote", "m",
                                                                     "--latest-approved"]):
        assert parser.parse_args([*command, "--parallel", "3"]).parallel == 3
        assert capsys.readouterr().err == ""
        assert parser.parse_args([*command, "--concurrency", "5"]).parallel == 5
        assert "--concurrency is deprecated; use --parallel" in capsys.readouterr().err
    assert "--concurrency" not in _subparsers()["plan"].format_help()


def _no_credentials_env(tmp_path: Path) -> dict[str, str]:
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k != "SAGECTL_EMULATOR_URL"}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(empty), AWS_CONFIG_FILE=str(empty),
               AWS_EC2_METADATA_DISABLED="true", HOME=str(tmp_path))
    return env


def test_no_credentials_says_what_was_tried_and_what_to_do(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "reconciler", "plan", str(EXAMPLES), "--env",
                          "dev"], env=_no_credentials_env(tmp_path), capture_output=True,
                         text=True, timeout=120, cwd=REPO)
    assert run.returncode == 1, run.stderr
    assert "no AWS credentials found: tried" in run.stderr
    for hint in ("--profile", "aws sso login", "AWS_PROFILE", "--emulator"):
        assert hint in run.stderr
    assert "cannot reach AWS" not in run.stderr and "Traceback" not in run.stderr
    assert build_parser().parse_args(["plan", "--emulator"]).emulator is True  # it exists


def _complete(line: str, tmp_path: Path) -> list[str]:
    """What the shell would offer for ``line`` (argcomplete's protocol: fd 8 gets the words)."""
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
           "COMP_POINT": str(len(line))}
    with out.open("w") as fd8:
        script = ("import os, sys; os.dup2(int(sys.argv[1]), 8); "
                  "from reconciler.cli.main import main; main()")
        subprocess.run([sys.executable, "-c", script, str(fd8.fileno())], env=env, cwd=REPO,
                       pass_fds=(fd8.fileno(),), timeout=60, check=False,
                       stderr=subprocess.DEVNULL)
    return [word.strip() for word in out.read_text().split("\n")]


def test_completion_offers_commands_options_and_environments(tmp_path: Path) -> None:
    assert {"plan", "promote"} <= set(_complete("sagectl p", tmp_path))
    assert "show" in _complete("sagectl sh", tmp_path)
    assert "--format" in _complete("sagectl plan --fo", tmp_path)
    assert set(_complete("sagectl plan specs --env ", tmp_path)) >= {"dev", "prod"}


def test_completion_prints_the_shell_scripts(cli: CLI) -> None:
    code, bash, _ = cli("completion", "bash")
    assert code == 0 and "complete " in bash and "sagectl" in bash
    code, zsh, _ = cli("completion", "zsh")
    assert code == 0 and "#compdef sagectl" in zsh


def test_the_parser_and_validate_import_no_aws_machinery() -> None:
    """``sagectl --help``, completion and ``validate`` must start fast: building the parser
    imports no kind, no pydantic model and no boto3."""
    script = ("import sys; from reconciler.cli.main import build_parser; build_parser(); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in "
              "('boto3', 'botocore', 'pydantic') or m.startswith('reconciler.kinds')))")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=REPO, timeout=60, check=True)
    assert run.stdout.strip() == "[]"
