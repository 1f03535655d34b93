"""JSON Schemas and the field reference, generated from the pydantic models.

Two flavours of schema:
- *strict*: exactly what pydantic accepts for a document after variables are substituted;
- *editor* (written to ``schemas/``): the same, except that any constrained scalar may also be a
  string containing a ``${variable}`` reference, because raw spec files contain those.

``schemas/sagectl-v1.json`` dispatches on ``kind``, so one ``yaml-language-server`` modeline serves
files that mix kinds. The spec reference (``docs/spec-reference.md``) is rendered from the strict
schema, so documentation and validation cannot drift apart.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from reconciler.contract import Registry
from reconciler.spec.documents import API_VERSION, all_document_models
from reconciler.spec.fielddocs import SchemaWithDocs

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
UMBRELLA = "sagectl-v1.json"
VARIABLE_STRING = {"type": "string", "pattern": r"\$\{[A-Za-z_][A-Za-z0-9_]*\}",
                   "description": "A ${variable} reference, substituted per environment."}
_CONSTRAINED_STRING_KEYS = ("pattern", "enum", "const", "maxLength", "minLength", "format")


def file_name(kind: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower() + ".json"


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


def _close_maps(node: Any) -> Any:
    """pydantic renders ``dict[ConstrainedKey, V]`` as ``patternProperties`` without
    ``additionalProperties: false``, which would let keys through that pydantic rejects."""
    if isinstance(node, list):
        return [_close_maps(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _close_maps(v) for k, v in node.items()}
    if "patternProperties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def strict_schema(kinds: Registry, kind: str) -> dict[str, Any]:
    model = all_document_models(kinds)[kind]
    schema = _close_maps(_strip_titles(model.model_json_schema(
        by_alias=True, mode="validation", schema_generator=SchemaWithDocs)))
    return {"$schema": JSON_SCHEMA_DIALECT, "title": f"sagectl {kind}", **schema}


def _relax(node: Any, protect: bool = False) -> Any:
    """Allow ``${var}`` strings wherever a constrained scalar is expected."""
    if isinstance(node, list):
        return [_relax(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _relax(sub, protect=name in ("apiVersion", "kind"))
                        for name, sub in value.items()}
        elif key in ("$defs", "patternProperties"):
            out[key] = {k: _relax(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
            out[key] = _relax(value)
        else:
            out[key] = value
    scalar = out.get("type") in ("integer", "number", "boolean") or (
        out.get("type") == "string" and any(k in out for k in _CONSTRAINED_STRING_KEYS))
    if scalar and not protect:
        doc = {k: out.pop(k) for k in ("description", "default") if k in out}
        return {**doc, "anyOf": [out, VARIABLE_STRING]}
    return out


def _prefix_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", f"#/$defs/{prefix}.") if k == "$ref" else
                    _prefix_refs(v, prefix)) for k, v in node.items()}
    if isinstance(node, list):
        return [_prefix_refs(v, prefix) for v in node]
    return node


def editor_schema(kinds: Registry, kind: str) -> dict[str, Any]:
    return _relax(strict_schema(kinds, kind))


def umbrella_schema(registry: Registry, editor: bool = True) -> dict[str, Any]:
    kinds = list(all_document_models(registry))
    defs: dict[str, Any] = {}
    branches = []
    for kind in kinds:
        schema = (editor_schema(registry, kind) if editor
                  else strict_schema(registry, kind))
        schema = _prefix_refs(copy.deepcopy(schema), kind)
        for name, sub in schema.pop("$defs", {}).items():
            defs[f"{kind}.{name}"] = sub
        schema.pop("$schema", None)
        defs[kind] = schema
        branches.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                         "then": {"$ref": f"#/$defs/{kind}"}})
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "sagectl v1 document",
        "description": "Any sagectl document; the `kind` selects the schema.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": {"const": API_VERSION}, "kind": {"enum": kinds}},
        "allOf": branches,
        "$defs": defs,
    }


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_files(kinds: Registry) -> dict[str, str]:
    files = {file_name(kind): _dump(editor_schema(kinds, kind))
             for kind in all_document_models(kinds)}
    files[UMBRELLA] = _dump(umbrella_schema(kinds))
    return files


# -- the reference document -----------------------------------------------------------------------

def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _non_null(node: dict[str, Any]) -> dict[str, Any]:
    options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        merged = {k: v for k, v in node.items() if k != "anyOf"}
        merged.update(options[0])
        node = merged
    return node


def _type_text(node: dict[str, Any]) -> str:
    node = _non_null(node)
    if "$ref" in node:
        return "mapping"
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    if "anyOf" in node:
        return " or ".join(_type_text(o) for o in node["anyOf"]
                           if o.get("type") != "null")
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type_text(node.get('items', {}))}"
    if kind == "object":
        patterns = list(node.get("patternProperties", {}).values())
        extra = patterns[0] if len(patterns) == 1 else node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return f"map of {_type_text(extra)}"
        return "mapping"
    if isinstance(kind, list):
        return " or ".join(kind)
    names = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
    text = names.get(kind, "any") if isinstance(kind, str) else "any"
    limits = []
    for key, fmt in (("minimum", ">= {}"), ("exclusiveMinimum", "> {}"), ("maximum", "<= {}"),
                     ("exclusiveMaximum", "< {}"), ("multipleOf", "multiple of {}"),
                     ("minLength", "length >= {}"), ("maxLength", "length <= {}")):
        if key in node:
            limits.append(fmt.format(node[key]))
    if "pattern" in node:
        limits.append(f"pattern `{node['pattern']}`")
    return f"{text} ({', '.join(limits)})" if limits else text


def _describe(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _rows(schema: dict[str, Any], node: dict[str, Any], prefix: str,
          depth: int = 0) -> list[str]:
    node = _resolve(schema, _non_null(node))
    rows: list[str] = []
    required = set(node.get("required", []))
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        plain = _non_null(sub)
        target = plain
        suffix = ""
        if plain.get("type") == "array" and "$ref" in plain.get("items", {}):
            target, suffix = plain["items"], "[]"
        elif isinstance(plain.get("additionalProperties"), dict) and \
                "$ref" in plain["additionalProperties"]:
            target, suffix = plain["additionalProperties"], ".<name>"
        elif len(plain.get("patternProperties", {})) == 1:
            value = next(iter(plain["patternProperties"].values()))
            if "$ref" in value:
                target, suffix = value, ".<name>"
        desc = sub.get("description") or _resolve(schema, target).get("description", "")
        default = ""
        if "default" in sub and sub["default"] not in (None, [], {}):
            default = f" Default: `{json.dumps(sub['default'])}`."
        req = "yes" if name in required else ""
        rows.append(f"| `{path}{suffix}` | {_type_text(sub)} | {req} | "
                    f"{_describe(desc)}{default} |")
        if "$ref" in target and depth < 12:
            rows += _rows(schema, target, f"{path}{suffix}", depth + 1)
    return rows


def reference_markdown(kinds: Registry) -> str:
    lines = [
        "# sagectl spec reference",
        "",
        "<!-- Generated by `sagectl schema` from the models; do not edit by hand. -->",
        "",
        "Every document has `apiVersion: sagectl/v1`, a `kind`, `metadata` (`name`, `labels`, "
        "`annotations`) and a `spec`. Field names are the boto3 parameter names with the first "
        "letter lower-cased. Any value may be a `${variable}` reference (see the README on "
        "environments). Constraints that involve several fields (for example canary sizes "
        "against instance counts) are checked by `sagectl validate` and listed in the README.",
        "",
    ]
    for kind in all_document_models(kinds):
        schema = strict_schema(kinds, kind)
        lines += [f"## {kind}", "", _describe(schema.get("description", "")), "",
                  "| Field | Type | Required | Description |", "| --- | --- | --- | --- |"]
        lines += _rows(schema, schema, "")
        lines.append("")
    return "\n".join(lines)


# -- writing and checking ---------------------------------------------------------------------

def outputs(kinds: Registry, out_dir: str | Path, docs: str | Path) -> dict[Path, str]:
    files = {Path(out_dir) / name: text for name, text in schema_files(kinds).items()}
    files[Path(docs)] = reference_markdown(kinds)
    return files


def write_outputs(kinds: Registry, out_dir: str | Path, docs: str | Path) -> list[Path]:
    written = []
    for path, text in outputs(kinds, out_dir, docs).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def check_outputs(kinds: Registry, out_dir: str | Path, docs: str | Path
                  ) -> list[tuple[Path, str]]:
    """Files that differ from what would be generated, with the reason."""
    stale: list[tuple[Path, str]] = []
    expected = outputs(kinds, out_dir, docs)
    for path, text in expected.items():
        if not path.exists():
            stale.append((path, "missing"))
        elif path.read_text(encoding="utf-8") != text:
            stale.append((path, "out of date"))
    out = Path(out_dir)
    if out.is_dir():
        for path in sorted(out.glob("*.json")):
            if path not in expected:
                stale.append((path, "not generated by sagectl (stale schema of a removed kind?)"))
    return stale
