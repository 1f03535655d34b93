"""Environments: one spec tree, several deployments (dev, staging, prod).

An environment is a document of kind ``Environment`` in ``<specs>/environments/<name>.yaml``::

    apiVersion: sagectl/v1
    kind: Environment
    metadata: {name: prod}
    spec:
      region: eu-west-1          # optional; also the variable ${region}
      accountId: "123456789012"  # optional; also ${accountId}; apply refuses another account
      assumeRoleArn: arn:aws:iam::123456789012:role/sagectl-apply   # optional (targets.py)
      planRoleArn: arn:aws:iam::123456789012:role/sagectl-plan      # optional: read-only commands
      prune: false               # delete owned resources that left the specs
      variables:                 # ${name} in any spec value
        instanceType: ml.m6i.xlarge
      stage: 2                   # optional; order of an apply over several environments
      overrides:                 # per-resource patches, merged into that resource's spec
        - {kind: Endpoint, name: fraud-scorer, spec: {...}}
        - {kind: Pipeline, name: nightly-training, omit: true}

Substitution: ``${name}`` is replaced in every string value (not in keys). A plain (unquoted)
scalar that is exactly one reference takes the variable's type, so ``initialInstanceCount:
${count}`` is an integer; anywhere else the value is interpolated as text. ``$${`` is a literal
``${``. Built-in variables: ``env`` (the environment name), ``region``, ``accountId``.

Merging a patch (JSON merge patch, plus lists of named things): mappings merge key by key; ``null``
removes a key; lists whose items are mappings with a name key (``variantName``, ``policyName``,
``scheduledActionName``, ``alarmName``, ``id``, ``name``) merge item by item, new names appended;
any other value replaces the base value. Patched values keep the position of the environment
file, so an error in a patched value points at the environment file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from reconciler.contract import SpecModel
from reconciler.diagnostics import Pos, Report
from reconciler.spec.nodes import Entry, MapNode, Node, ScalarNode, SeqNode

IDENTITY_KEYS = ("variantName", "policyName", "scheduledActionName", "alarmName", "id", "name")
BUILTIN_VARIABLES = ("env", "region", "accountId")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WHOLE_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")

Scalar = str | int | float | bool
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]+$"
"""An IAM role ARN (role names are letters, digits and ``_+=,.@-``, after an optional
``/path/``)."""


def _scalar(value: Any) -> Scalar:
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError("a variable's value must be a string, number or boolean")


VariableValue = Annotated[Scalar, PlainValidator(_scalar),
                          WithJsonSchema({"type": ["string", "number", "boolean"]})]
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Override(SpecModel):
    """A per-environment change to one resource."""

    kind: Annotated[str, StringConstraints(min_length=1)]
    """Kind of the resource to patch, e.g. `Endpoint`."""
    name: Annotated[str, StringConstraints(min_length=1)]
    """metadata.name of the resource (after variable substitution)."""
    spec: dict[str, Any] | None = None
    """Merged into the resource's spec (null removes a key; named lists merge by name)."""
    omit: bool = False
    """Leave this resource out of the environment."""


class EnvironmentSpec(SpecModel):
    """One environment: its account and region, pruning, variables and per-resource
    overrides."""

    region: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] | None = None
    """AWS region of this environment, e.g. `eu-west-1`."""
    account_id: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None
    """AWS account id (a quoted string of 12 digits)."""
    assume_role_arn: Annotated[str, StringConstraints(
        pattern=ROLE_ARN_PATTERN, max_length=2048)] | None = None
    """IAM role sagectl assumes (STS AssumeRole, from the caller's credentials) for this
    environment, e.g. `arn:aws:iam::123456789012:role/sagectl-deployer`; must be in
    `accountId`. The commands that change AWS act as it (`apply`, `drift --heal`, `import
    --adopt`, `unlock`), the read-only ones too unless `planRoleArn` is set. A command with no
    role to assume uses the caller's own credentials."""
    plan_role_arn: Annotated[str, StringConstraints(
        pattern=ROLE_ARN_PATTERN, max_length=2048)] | None = None
    """IAM role the read-only commands assume instead of `assumeRoleArn` (`plan`, `drift`
    without `--heal`, `import` without `--adopt`, `promote`, `history`), e.g. one with the
    policy of `sagectl iam-policy --mode plan`, so that pull-request plans cannot change
    anything; must be in `accountId` (and in `assumeRoleArn`'s account). Without
    `assumeRoleArn`, the commands that change AWS use the caller's own credentials."""
    external_id: Annotated[str, StringConstraints(
        pattern=r"^[\w+=,.@:/-]*$", min_length=2, max_length=1224)] | None = None
    """External id the roles' trust policies require (`sts:ExternalId`), sent with every
    AssumeRole of `assumeRoleArn` and of `planRoleArn`; only with one of them."""
    prune: bool = False
    """Delete owned resources that are no longer in the specs (deletion protection still
    applies)."""
    variables: dict[VariableName, VariableValue] = {}
    """Values for `${name}` references in the specs."""
    overrides: Annotated[list[Override], Field(max_length=1000)] = []
    stage: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Order of this environment when one `sagectl apply` covers several (`--env 'prod-*'`,
    `--env dev,staging`): stage 1 first, the environments of one stage at once, the next stage
    only when every environment of the previous one applied fully. An apply of several
    environments requires a stage on each of them."""

    @field_validator("assume_role_arn", "plan_role_arn")
    @classmethod
    def _role_in_account(cls, value: str | None, info: ValidationInfo) -> str | None:
        account = info.data.get("account_id")
        if value and account and role_account(value) != account:
            raise ValueError(f"the role is in account {role_account(value)}, but accountId is "
                             f"{account}: sagectl acts in the role's account, so both must "
                             "name the same account")
        apply_role = info.data.get("assume_role_arn")
        if (value and info.field_name == "plan_role_arn" and apply_role
                and role_account(value) != role_account(apply_role)):
            raise ValueError(f"the role is in account {role_account(value)}, but assumeRoleArn "
                             f"is in account {role_account(apply_role)}: a plan made as one "
                             "is applied as the other, so both must be in the same account")
        return value

    @field_validator("external_id")
    @classmethod
    def _external_needs_role(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and not (info.data.get("assume_role_arn") or info.data.get("plan_role_arn")):
            raise ValueError("externalId is sent with AssumeRole: set assumeRoleArn or "
                             "planRoleArn too")
        return value

    def role(self, read_only: bool) -> tuple[str, str] | None:
        """(field, role ARN) of the role a command assumes: ``planRoleArn`` for a read-only
        command when set, else ``assumeRoleArn``; None: the caller's own credentials."""
        if read_only and self.plan_role_arn:
            return "planRoleArn", self.plan_role_arn
        if self.assume_role_arn:
            return "assumeRoleArn", self.assume_role_arn
        return None


def role_account(role_arn: str) -> str:
    """The account of an IAM role ARN (``arn:aws:iam::ACCOUNT:role/NAME``)."""
    return role_arn.split(":")[4]


@dataclass
class Environment:
    name: str
    file: str
    name_pos: Pos
    spec: EnvironmentSpec
    node: MapNode
    """The whole Environment document (overrides' patches are taken from it, with positions)."""

    def variables(self) -> dict[str, Scalar]:
        values: dict[str, Scalar] = {"env": self.name}
        if self.spec.region:
            values["region"] = self.spec.region
        if self.spec.account_id:
            values["accountId"] = self.spec.account_id
        values.update(self.spec.variables)
        return values

    def override_node(self, index: int) -> MapNode | None:
        spec = self.node.get("spec")
        overrides = spec.get("overrides") if isinstance(spec, MapNode) else None
        if isinstance(overrides, SeqNode) and index < len(overrides.items):
            item = overrides.items[index]
            return item if isinstance(item, MapNode) else None
        return None


# -- substitution -------------------------------------------------------------------------------

def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Substituter:
    """Replaces ``${name}`` in node trees, reporting undefined or malformed references."""

    def __init__(self, variables: dict[str, Scalar], env: str | None, env_file: str | None,
                 report: Report) -> None:
        self.variables = variables
        self.env = env
        self.env_file = env_file
        self.report = report
        self.failed: set[Pos] = set()
        """Values whose substitution failed: type errors there would only repeat the news."""

    def _undefined(self, name: str, pos: Pos) -> None:
        self.failed.add(pos)
        if self.env is None:
            self.report.error(pos, f"undefined variable ${{{name}}}: no environment is selected "
                                   "(use --env NAME)")
            return
        close = difflib.get_close_matches(name, list(self.variables), n=1)
        hint = f"; did you mean ${{{close[0]}}}?" if close else ""
        self.report.error(pos, f"undefined variable ${{{name}}} in environment {self.env!r} "
                               f"(variables are defined in {self.env_file}){hint}")

    def scalar(self, node: ScalarNode) -> ScalarNode:
        text = node.value
        if not isinstance(text, str) or "$" not in text:
            return node
        whole = _WHOLE_REF.match(text)
        if whole and node.plain:
            name = whole.group(1)
            if name not in self.variables:
                self._undefined(name, node.pos)
                return node
            return ScalarNode(node.pos, self.variables[name], plain=True)
        out: list[str] = []
        i = 0
        while i < len(text):
            if text.startswith("$${", i):
                out.append("${")
                i += 3
            elif text.startswith("${", i):
                end = text.find("}", i)
                if end < 0:
                    self.failed.add(node.pos)
                    self.report.error(node.pos, f"unclosed variable reference in {text!r}: "
                                                "expected ${name} (write $${ for a literal ${)")
                    return node
                name = text[i + 2:end]
                if not _VAR_NAME.match(name):
                    self.failed.add(node.pos)
                    self.report.error(node.pos, f"malformed variable reference ${{{name}}}: a "
                                                "name is letters, digits and _ (write $${ for a "
                                                "literal ${)")
                    return node
                if name not in self.variables:
                    self._undefined(name, node.pos)
                    return node
                out.append(_text(self.variables[name]))
                i = end + 1
            else:
                out.append(text[i])
                i += 1
        return ScalarNode(node.pos, "".join(out), plain=False)

    def node(self, node: Node) -> Node:
        """``node`` substituted. The input is never modified (one parse serves every
        environment): a value with a reference in it is a new node, and so is every node above
        it; a subtree without one is returned as it is, shared, not copied (nothing modifies
        nodes after parsing)."""
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SeqNode):
            items = [self.node(item) for item in node.items]
            if all(new is old for new, old in zip(items, node.items, strict=True)):
                return node
            new = SeqNode(node.pos, items)
            new.size = node.size
            return new
        if isinstance(node, MapNode):
            entries = node.entries
            changed: dict[str, Node] = {}
            for key, entry in entries.items():
                value = self.node(entry.value)
                if value is not entry.value:
                    changed[key] = value
            if not changed:
                return node
            new_map = MapNode(node.pos, {k: Entry(e.key_pos, changed[k]) if k in changed else e
                                         for k, e in entries.items()})
            new_map.size = node.size
            return new_map
        return node


# -- merging ------------------------------------------------------------------------------------

def _identity_key(*lists: SeqNode) -> str | None:
    items = [item for lst in lists for item in lst.items]
    if not items or not all(isinstance(item, MapNode) for item in items):
        return None
    for key in IDENTITY_KEYS:
        if all(isinstance(item, MapNode) and isinstance(item.get(key), ScalarNode)
               for item in items):
            return key
    return None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.value is None


def merge(base: Node, patch: Node) -> Node:
    """``patch`` merged into ``base`` (both unchanged; see the module docstring)."""
    if isinstance(base, MapNode) and isinstance(patch, MapNode):
        entries = dict(base.entries)
        for key, entry in patch.entries.items():
            if _is_null(entry.value):
                entries.pop(key, None)
            elif key in entries:
                entries[key] = Entry(entries[key].key_pos, merge(entries[key].value, entry.value))
            else:
                entries[key] = entry
        return MapNode(base.pos, entries)
    if isinstance(base, SeqNode) and isinstance(patch, SeqNode):
        key = _identity_key(base, patch)
        if key is None:
            return patch
        merged: list[Node] = []
        by_name: dict[Any, int] = {}
        for item in base.items:
            assert isinstance(item, MapNode)
            ident = item.get(key)
            assert isinstance(ident, ScalarNode)
            by_name[ident.value] = len(merged)
            merged.append(item)
        for item in patch.items:
            assert isinstance(item, MapNode)
            ident = item.get(key)
            assert isinstance(ident, ScalarNode)
            if ident.value in by_name:
                merged[by_name[ident.value]] = merge(merged[by_name[ident.value]], item)
            else:
                merged.append(item)
        return SeqNode(base.pos, merged)
    return patch


def apply_overrides(env: Environment, docs: dict[tuple[str, str], MapNode],
                    substitute: Callable[[Node], Node], report: Report,
                    known_kinds: list[str]) -> dict[tuple[str, str], MapNode]:
    """Each document after the environment's overrides; omitted ones are dropped."""
    result = dict(docs)
    for i, override in enumerate(env.spec.overrides):
        onode = env.override_node(i)
        pos = onode.pos if onode else env.name_pos
        target = (override.kind, override.name)
        if override.kind not in known_kinds:
            close = difflib.get_close_matches(override.kind, known_kinds, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            report.error(pos, f"override for unknown kind {override.kind!r}{hint}",
                         f"spec.overrides[{i}].kind")
            continue
        if target not in docs:
            names = sorted(n for k, n in docs if k == override.kind)
            close = difflib.get_close_matches(override.name, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            report.error(pos, f"override targets {override.kind} {override.name!r}, which is not "
                              f"defined in the specs{hint}", f"spec.overrides[{i}].name")
            continue
        if override.omit:
            if override.spec is not None:
                report.error(pos, "`omit: true` and `spec` contradict each other",
                             f"spec.overrides[{i}]")
            result.pop(target, None)
            continue
        patch = onode.get("spec") if onode else None
        if not isinstance(patch, MapNode) or target not in result:
            continue
        doc = result[target]
        spec = doc.get("spec")
        merged_spec = merge(spec, substitute(patch)) if spec is not None else substitute(patch)
        entries = dict(doc.entries)
        key_pos = doc.entries["spec"].key_pos if "spec" in doc.entries else patch.pos
        entries["spec"] = Entry(key_pos, merged_spec)
        result[target] = MapNode(doc.pos, entries)
    return result
