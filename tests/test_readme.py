"""The README's promises: two set-up commands, valid examples, documented commands."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import yaml

from reconciler.cli.main import build_parser
from reconciler.cli.registry import KINDS
from reconciler.plan.vocabulary import reasons_table
from reconciler.spec.load import validate
from tests.conftest import REPO

README = (REPO / "README.md").read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)


def test_readme_starts_with_exactly_two_setup_commands() -> None:
    lang, body = BLOCKS[0]
    assert lang == "bash"
    lines = body.strip().splitlines()
    assert len(lines) == 2
    install_and_run, install_and_test = lines
    assert "pip install -e '.[emulator]'" in install_and_run and "sagectl" in install_and_run
    assert install_and_test.endswith("pytest") and "'.[dev]'" in install_and_test
    # The first fenced block comes right after the introduction.
    assert README.index("```bash") < README.index("\n## ")


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    assert ci.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in ci
    test_command = BLOCKS[0][1].strip().splitlines()[1]
    assert ci.strip().splitlines()[-1] == test_command


def test_yaml_examples_in_the_readme_are_valid(spec_tree: Callable[[dict[str, str]], Path]
                                               ) -> None:
    resources: list[str] = []
    files: dict[str, str] = {}
    for lang, body in BLOCKS:
        if lang != "yaml" or "apiVersion:" not in body:
            continue
        for doc in yaml.safe_load_all(body):
            text = yaml.safe_dump(doc, sort_keys=False)
            if doc["kind"] == "Environment":
                files[f"environments/{doc['metadata']['name']}.yaml"] = text
            else:
                resources.append(text)
    assert len(resources) >= 3 and files
    files["readme.yaml"] = "---\n".join(resources)
    result = validate(spec_tree(files), KINDS)
    assert [d.text() for d in result.diagnostics] == []
    assert result.environments == ["prod"]


def test_every_command_is_documented() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in commands:
        assert f"sagectl {name}" in README, name


def test_the_main_install_brings_what_the_emulator_needs() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    emulator = " ".join(project["optional-dependencies"]["emulator"])
    for needed in ("moto[", "sagemaker", "applicationautoscaling", "cloudwatch", "dynamodb",
                   "events", "resourcegroupstaggingapi", "flask"):
        assert needed in emulator, needed
    dev = project["optional-dependencies"]["dev"]
    assert any(d.startswith("sagemaker-gitops[") and "emulator" in d for d in dev), dev


REASONS = re.compile(r"<!-- reasons: generated from the code, do not edit -->\n(.*?)"
                     r"<!-- /reasons -->\n", flags=re.S)


def test_the_table_of_reasons_is_rendered_from_the_code() -> None:
    """Every kind's reasons, as documented in the code (``Reason`` members). After a change
    there, ``UPDATE_GOLDEN=1 pytest tests/test_readme.py`` writes the table again."""
    found = REASONS.search(README)
    assert found, "the README has no generated table of reasons"
    table = reasons_table(KINDS.values())
    if os.environ.get("UPDATE_GOLDEN") and found.group(1) != table:
        (REPO / "README.md").write_text(README[:found.start(1)] + table + README[found.end(1):],
                                        encoding="utf-8")
        return
    assert found.group(1) == table, ("the README's table of reasons differs from the code: "
                                     "UPDATE_GOLDEN=1 pytest tests/test_readme.py writes it")
    for kind in KINDS.values():
        for reason in kind.reasons:
            assert f"`{reason.value}`" in found.group(1), (kind.kind, reason.value)
