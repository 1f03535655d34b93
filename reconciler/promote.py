"""``sagectl promote``: pin a registry-backed resource (a Model) to one version of its registry
group by editing the spec text in place, so the promotion is an ordinary, reviewable change in a
pull request. Which fields pin what the kinds say (``Kind.registry_pins``: a Model's containers'
``modelPackageVersion``; an Endpoint's, those of the Models it serves).

Only the one scalar changes (or, when the key is absent, one line is added): the rest of the file
stays byte for byte, which a YAML round trip (dump) could never promise. The loader's nodes carry
start positions only, so the exact span of a scalar comes from a second pass over that file's
PyYAML events, whose marks have both ends.

Where the value lives decides what is edited:

- ``override``: the environment file's override for the resource sets the version;
- ``variable``: the value is ``${name}``: the variable's value in the environment file;
- ``base``: a literal in the spec file, which other environments may share (they are named);
- ``insert``: the key is absent (it follows the newest version): one line is added after the
  group's key (``modelPackageGroupName``), at its indentation.

Nothing here talks to AWS, parses arguments or writes files: the command (``cli/promote.py``)
resolves the versions, calls ``find_pins``, ``plan_edits`` and ``apply_edits``, and writes.
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.contract import NothingToPromote, RegistryPin
from reconciler.diagnostics import Pos
from reconciler.spec.environments import Environment
from reconciler.spec.files import read_tree
from reconciler.spec.nodes import MapNode, Node, ScalarNode, child, walk_scalars
from reconciler.spec.nodes import Path as NodePath
from reconciler.spec.resources import SpecSet
from reconciler.spec.spans import Sources, SpanError

_WHOLE_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class PromoteError(SpanError):
    """Why promote cannot go on, for the user (printed as ``sagectl: ...``)."""


# -- what to promote ------------------------------------------------------------------------------

Pin = RegistryPin
"""One registry-backed place of a spec, as the selected environment resolves it."""


def _walk(node: Node, path: NodePath) -> Node | None:
    for part in path:
        found, _ = child(node, part)
        if found is None:
            return None
        node = found
    return node


def find_pins(specs: SpecSet, name: str) -> list[Pin]:
    """The places to pin for ``name``, as the kinds of the resources named so say, in planning
    order (a registry-backed Model, else every registry-backed Model the Endpoint of that name
    serves)."""
    kinds = [k for k in specs.kinds.ordered() if k.promotable]
    why = None
    for kind in kinds:
        resource = specs.get(kind.kind, name)
        if resource is None:
            continue
        try:
            pins = kind.registry_pins(specs, resource)
        except NothingToPromote as err:
            why = str(err)
            continue
        if pins:
            return pins
    if why is not None:
        raise PromoteError(why)
    where = f" in environment {specs.env_name}" if specs.env_name else ""
    known = sorted(r.name for r in specs.resources if r.kind in {k.kind for k in kinds})
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise PromoteError(f"no {' or '.join(k.kind for k in kinds)} named {name!r}{where}{hint}")


# -- where the value lives, and the edit --------------------------------------------------------

@dataclass
class Edit:
    file: str
    start: int
    end: int
    text: str
    pin: Pin
    old: str
    new: int
    case: str
    """``override``, ``variable``, ``base`` or ``insert`` (see the module docstring)."""
    variable: str | None = None
    line: int = 0
    """1-based line of the new value once every edit of its file is made (``apply_edits``)."""

    def describe(self) -> str:
        via = f" (variable {self.variable})" if self.variable else ""
        added = " (added)" if self.case == "insert" else ""
        return f"{self.file}:{self.line}: {self.pin.label}{via} {self.old} -> {self.new}{added}"


@dataclass
class Promotion:
    edits: list[Edit] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _null_override(env: Environment | None, pin: Pin) -> ScalarNode | None:
    """An override's ``<version key>: null`` (e.g. ``primaryContainer.modelPackageVersion``:
    merging deletes the key, so
    the resolved tree no longer shows it, but an edit anywhere else would be deleted again)."""
    if env is None or any(isinstance(part, int) for part in pin.at):  # lists are replaced whole
        return None
    found = None
    for i, override in enumerate(env.spec.overrides):
        node = env.override_node(i)
        if override.kind == pin.kind and override.name == pin.name and node is not None:
            value = _walk(node, (*pin.at, pin.version_key))
            if value is not None:
                found = value if isinstance(value, ScalarNode) and value.value is None else None
    return found


def _replace(sources: Sources, pos: Pos, pin: Pin, version: int, case: str,
             variable: str | None = None) -> Edit:
    src = sources[pos.file]
    scalar = src.scalar(pos, key=False)
    if scalar.shared:
        raise PromoteError(f"{pos}: this value has a YAML anchor or tag, or is inside an anchored "
                           "block that other places may share; edit it by hand")
    if scalar.style not in (None, "'", '"'):
        raise PromoteError(f"{pos}: a block scalar cannot hold a version number; edit it by hand")
    old = str(pin.current)
    if scalar.start == scalar.end and scalar.key_end is not None:  # `key:` with an empty value
        colon = src.text.index(":", scalar.key_end) + 1
        return Edit(pos.file, colon, colon, f" {version}", pin, old, version, case, variable)
    # Always a plain number: quoted, it would be a string, which is not a version.
    return Edit(pos.file, scalar.start, scalar.end, str(version), pin, old, version, case,
                variable)


def _insert(sources: Sources, key_pos: Pos, pin: Pin, version: int) -> Edit:
    src = sources[key_pos.file]
    key = src.scalar(key_pos, key=True)
    if key.value != pin.group_key or key.shared or key.value_end is None:
        raise PromoteError(f"{key_pos}: {pin.name}'s {pin.group_key} comes from a YAML merge key "
                           f"or anchor; add `{pin.version_key}: {version}` by hand")
    old = pin.unpinned
    if key.flow:
        return Edit(key_pos.file, key.value_end, key.value_end,
                    f", {pin.version_key}: {version}", pin, old, version, "insert")
    text = src.text
    eol = text.find("\n", key.value_end)
    line = f"{' ' * (key_pos.column - 1)}{pin.version_key}: {version}"
    if eol < 0:
        return Edit(key_pos.file, len(text), len(text), src.newline + line, pin, old, version,
                    "insert")
    newline = "\r\n" if eol > 0 and text[eol - 1] == "\r" else "\n"
    return Edit(key_pos.file, eol + 1, eol + 1, line + newline, pin, old, version, "insert")


def _variable_uses(specs: SpecSet, root: str | Path, env: Environment, name: str) -> list[str]:
    ref = f"${{{name}}}"
    nodes = [d.node for d in read_tree(Path(root), specs.kinds).documents] + [env.node]
    return [str(n.pos) for root_node in nodes for _, n in walk_scalars(root_node)
            if isinstance(n.value, str) and ref in n.value.replace("$${", "")]


def _shared_with(pin: Pin, others: dict[str, SpecSet], version_pos: Pos | None,
                 group_pos: Pos) -> list[str]:
    """Other environments whose value the same edit changes."""
    hit: list[str] = []
    for name, other in sorted(others.items()):
        resource = other.get(pin.kind, pin.name)
        node = _walk(resource.node, pin.at) if resource else None
        if not isinstance(node, MapNode):
            continue
        value = node.get(pin.version_key)
        if version_pos is not None:
            same = value is not None and value.pos == version_pos
        else:
            entry = node.entries.get(pin.group_key)
            same = (value is None and entry is not None and entry.key_pos == group_pos
                    and _null_override(other.environment, pin) is None)
        if same:
            hit.append(name)
    return hit


def plan_edits(specs: SpecSet, pins: list[Pin], versions: dict[str, int],
               others: dict[str, SpecSet], root: str | Path,
               sources: Sources | None = None) -> tuple[Promotion, Sources]:
    """The edits that pin each container to ``versions[group]`` in ``specs``' environment.

    ``others`` are the tree's other environments, loaded, to say which of them an edit of a shared
    spec file also changes; ``root`` is the spec tree (to find other uses of a variable)."""
    sources = sources if sources is not None else Sources()
    result = Promotion()
    env = specs.environment
    seen: dict[tuple[str, int, int], Edit] = {}
    for pin in pins:
        version = versions[pin.group]
        resource = specs.get(pin.kind, pin.name)
        container = _walk(resource.node, pin.at) if resource else None
        assert isinstance(container, MapNode)
        if pin.current == version:
            result.already.append(f"{pin.label} is already pinned to {pin.group} version "
                                  f"{version}; nothing to change")
            continue
        value = container.get(pin.version_key)
        null = _null_override(env, pin)
        shared: list[str] = []
        if null is not None:
            edit = _replace(sources, null.pos, pin, version, "override")
        elif value is not None:
            raw = sources[value.pos.file].scalar(value.pos, key=False)
            ref = _WHOLE_REF.match(raw.value)
            if "${" in raw.value.replace("$${", ""):
                if not ref or raw.style is not None or env is None:
                    raise PromoteError(f"{value.pos}: {pin.label} is {raw.value!r}; only an "
                                       "unquoted ${variable} can be promoted (edit it by hand)")
                var = _walk(env.node, ("spec", "variables", ref.group(1)))
                if var is None:
                    raise PromoteError(f"{value.pos}: variable {ref.group(1)} is not set in "
                                       f"{env.file}")
                edit = _replace(sources, var.pos, pin, version, "variable", ref.group(1))
                uses = [u for u in _variable_uses(specs, root, env, ref.group(1))
                        if u != str(value.pos)]
                if uses:
                    result.notes.append(f"variable {ref.group(1)} ({env.file}) is also used at "
                                        f"{', '.join(uses)}; those values change too")
            elif env is not None and value.pos.file == env.file:
                edit = _replace(sources, value.pos, pin, version, "override")
            else:
                edit = _replace(sources, value.pos, pin, version, "base")
                shared = _shared_with(pin, others, value.pos,
                                      container.entries[pin.group_key].key_pos)
        else:
            group_pos = container.entries[pin.group_key].key_pos
            edit = _insert(sources, group_pos, pin, version)
            if env is None or group_pos.file != env.file:
                shared = _shared_with(pin, others, None, group_pos)
        if shared and env is not None:
            result.notes.append(
                f"{edit.file} is shared by environments {', '.join([env.name, *shared])}: this "
                f"also pins {pin.name} to {pin.group} version {version} in "
                f"{', '.join(shared)}. To promote {env.name} alone, set {pin.version_key} in an "
                f"override for {pin.kind} {pin.name} in {env.file} instead.")
        span = (edit.file, edit.start, edit.end)
        if span not in seen:
            seen[span] = edit
            result.edits.append(edit)
        elif seen[span].text != edit.text:  # one variable feeds models of different groups
            raise PromoteError(f"{edit.file}: {seen[span].pin.label} and {pin.label} share this "
                               f"value but resolve to versions {seen[span].new} and {version}; "
                               "edit it by hand")
    return result, sources


# -- making the edits -----------------------------------------------------------------------------

def apply_edits(sources: Sources, edits: list[Edit]) -> dict[str, str]:
    """The new text of every edited file; sets each edit's final ``line``."""
    out: dict[str, str] = {}
    for file in dict.fromkeys(e.file for e in edits):
        mine = sorted((e for e in edits if e.file == file), key=lambda e: e.start)
        for a, b in itertools.pairwise(mine):
            if b.start < a.end:
                raise PromoteError(f"{file}: two edits overlap; edit it by hand")
        text = sources[file].text
        pieces: list[str] = []
        at = shift = 0
        for edit in mine:
            pieces += [text[at:edit.start], edit.text]
            at = edit.end
            start = edit.start + shift + (len(edit.text) - len(edit.text.lstrip("\r\n ,")))
            edit.line = "".join(pieces).count("\n", 0, start) + 1
            shift += len(edit.text) - (edit.end - edit.start)
        out[file] = "".join(pieces) + text[at:]
    return out


def unified_diff(file: str, before: str, after: str) -> str:
    """A ``git apply``-able diff with a/ and b/ paths relative to the working directory."""
    try:
        rel = os.path.relpath(file)
    except ValueError:  # another drive
        rel = os.path.abspath(file)
    rel = rel.replace(os.sep, "/")
    lines = difflib.unified_diff(before.splitlines(keepends=True),
                                 after.splitlines(keepends=True), f"a/{rel}", f"b/{rel}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)
