"""A decoded AWS answer walked against a botocore shape: the body-level half of
``conformance.py`` (which decodes answers, checks errors and records violations).

``check_value`` walks JSON or CBOR values, ``check_xml`` an XML body (query or rest-xml). Each
appends violations as ``<path>: <what is wrong>`` strings. Shapes' member tables are cached
(``fields``): botocore's shapes are stable objects, so each is decoded once per process.
"""

from __future__ import annotations

import base64
import binascii
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

BODYLESS = frozenset({"header", "headers", "statusCode", "uri", "querystring"})
"""Where rest protocols bind members outside the body."""

OPTIONAL_IN_FACT: dict[tuple[str, str], str] = {
    # (shape, member) that botocore's model marks required but AWS is seen to leave out. Each
    # needs evidence that AWS omits it; the emulator must not invent a value to satisfy the model.
    ("DataCaptureConfigSummary", "KmsKeyId"):
        "DescribeEndpoint omits it when no customer-managed KMS key is configured: "
        "aws/sagemaker-python-sdk#5738 (the SDK made it optional for that reason) and real "
        "DescribeEndpoint output without it",
}


@dataclass(frozen=True)
class Fields:
    """The body members of a structure, by their JSON/CBOR key and by their XML element name."""

    by_key: dict[str, tuple[str, Any]]
    by_xml: dict[str, tuple[str, Any]]
    required: tuple[tuple[str, str, str], ...]
    """(member name, key, XML name) of the required body members."""


_FIELDS: dict[int, tuple[Any, Fields]] = {}


def fields(shape: Any) -> Fields:
    """``shape``'s members as the body carries them (cached: botocore's shapes are stable)."""
    found = _FIELDS.get(id(shape))
    if found is not None and found[0] is shape:
        return found[1]
    by_key, by_xml = {}, {}
    for name, member in shape.members.items():
        ser = member.serialization
        if ser.get("location") in BODYLESS:
            continue
        by_key[ser.get("name", name)] = (name, member)
        if not ser.get("xmlAttribute"):
            by_xml[_xml_name(name, member)] = (name, member)
    keys = {name: key for key, (name, _) in by_key.items()}
    xml = {name: key for key, (name, _) in by_xml.items()}
    required = tuple((n, keys[n], xml.get(n, "")) for n in shape.required_members
                     if n in keys and (shape.name, n) not in OPTIONAL_IN_FACT)
    result = Fields(by_key, by_xml, required)
    _FIELDS[id(shape)] = (shape, result)
    return result


def _xml_name(name: str, member: Any) -> str:
    """The element name of a member (botocore's ``_member_key_name``)."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        item = member.member.serialization.get("name")
        if item is not None:
            return str(item)
    return str(member.serialization.get("name", name))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def missing(shape: Any, present: Mapping[str, Any], path: str, out: list[str]) -> None:
    for name, key, _ in fields(shape).required:
        if present.get(key) is None:
            out.append(f"{_join(path, name)}: required member missing")


def _wrong(path: str, expected: str, value: Any, out: list[str]) -> None:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    out.append(f"{path or '(body)'}: expected {expected}, got {type(value).__name__} {shown}")


def check_value(shape: Any, value: Any, path: str, out: list[str], cbor: bool) -> None:
    """Check a decoded JSON/CBOR value against ``shape``."""
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return
        if not isinstance(value, dict):
            _wrong(path, f"structure {shape.name}", value, out)
            return
        table = fields(shape).by_key
        for key, item in value.items():
            entry = table.get(key)
            if item is None:
                continue  # absent
            if entry is None:
                out.append(f"{_join(path, key)}: member not in the model ({shape.name})")
            else:
                check_value(entry[1], item, _join(path, entry[0]), out, cbor)
        missing(shape, value, path, out)
    elif kind == "list":
        if not isinstance(value, list):
            _wrong(path, "list", value, out)
            return
        for i, item in enumerate(value):
            if item is None and not shape.metadata.get("sparse"):
                out.append(f"{path}[{i}]: null in a list")
            elif item is not None:
                check_value(shape.member, item, f"{path}[{i}]", out, cbor)
    elif kind == "map":
        if not isinstance(value, dict):
            _wrong(path, "map", value, out)
            return
        for key, item in value.items():
            check_value(shape.key, key, f"{path}[{key!r}] (key)", out, cbor)
            if item is not None:
                check_value(shape.value, item, f"{path}[{key!r}]", out, cbor)
    else:
        _scalar(shape, value, path, out, cbor)


def _scalar(shape: Any, value: Any, path: str, out: list[str], cbor: bool) -> None:
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            _wrong(path, "string", value, out)
        elif shape.enum and value not in shape.enum:
            out.append(f"{path}: {value!r} is not a value of the enum {shape.name}")
    elif kind in ("integer", "long", "byte", "short"):
        if not isinstance(value, int) or isinstance(value, bool):
            _wrong(path, kind, value, out)
    elif kind in ("float", "double"):
        special = isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity")
        if (not isinstance(value, int | float) or isinstance(value, bool)) and not special:
            _wrong(path, kind, value, out)
    elif kind == "boolean":
        if not isinstance(value, bool):
            _wrong(path, "boolean", value, out)
    elif kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
        if cbor and isinstance(value, datetime):
            return
        if fmt in ("iso8601", "rfc822"):
            if not isinstance(value, str) or not _parses_as_time(value):
                _wrong(path, f"timestamp ({fmt} text)", value, out)
        elif not isinstance(value, int | float) or isinstance(value, bool) \
                or not math.isfinite(value):
            _wrong(path, "timestamp (epoch seconds)", value, out)
    elif kind == "blob":
        if cbor:
            if not isinstance(value, bytes | bytearray):
                _wrong(path, "blob (bytes)", value, out)
        elif not isinstance(value, str) or not _is_base64(value):
            _wrong(path, "blob (base64 text)", value, out)


def _parses_as_time(text: str) -> bool:
    from botocore.utils import parse_timestamp

    try:
        parse_timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# -- XML --------------------------------------------------------------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def check_xml(shape: Any, proto: str, raw: bytes, out: list[str]) -> None:
    if not raw.strip():
        if shape is not None:
            missing(shape, {}, "", out)
        return
    root = ET.fromstring(raw)
    if proto == "rest-xml":
        if shape is not None:
            _xml(shape, root, "", out)
        return
    wrapper = shape.serialization.get("resultWrapper") if shape is not None else None
    if proto == "ec2" and wrapper is None:  # members straight under the root, and a requestId
        for child in [c for c in root if _local(c.tag) == "requestId"]:
            root.remove(child)
        if shape is not None:
            _xml(shape, root, "", out)
        else:
            out.extend(f"{_local(c.tag)}: element not in the response ({_local(root.tag)})"
                       for c in root)
        return
    result = None
    for child in root:
        name = _local(child.tag)
        if name == "ResponseMetadata":
            continue
        if wrapper is not None and name == wrapper and result is None:
            result = child
        else:
            out.append(f"{name}: element not in the response ({_local(root.tag)})")
    if shape is None:
        return
    if wrapper is None:
        _xml(shape, root, "", out)
    elif result is None:
        missing(shape, {}, "", out)
    else:
        _xml(shape, result, "", out)


def _xml(shape: Any, elem: ET.Element, path: str, out: list[str]) -> None:
    """Check an XML element against ``shape``."""
    kind = shape.type_name
    children = list(elem)
    if kind == "structure":
        table = fields(shape).by_xml
        seen: dict[str, list[ET.Element]] = {}
        for child in children:
            seen.setdefault(_local(child.tag), []).append(child)
        for tag, elems in seen.items():
            entry = table.get(tag)
            if entry is None:
                out.append(f"{_join(path, tag)}: member not in the model ({shape.name})")
                continue
            name, member = entry
            where = _join(path, name)
            if member.serialization.get("flattened") and member.type_name in ("list", "map"):
                _xml_items(member, elems, where, out)
            elif len(elems) > 1:
                out.append(f"{where}: element repeated {len(elems)} times")
            else:
                _xml(member, elems[0], where, out)
        for name, _, tag in fields(shape).required:
            if tag not in seen:
                out.append(f"{_join(path, name)}: required member missing")
        return
    if kind in ("list", "map"):
        if kind == "list":
            item = str(shape.member.serialization.get("name", "member"))
        else:
            item = "entry"
        strays = [c for c in children if _local(c.tag) != item]
        for stray in strays:
            out.append(f"{path}: element <{_local(stray.tag)}> where <{item}> was expected")
        _xml_items(shape, [c for c in children if _local(c.tag) == item], path, out)
        return
    if children:
        out.append(f"{path}: expected {kind}, got elements")
        return
    _xml_scalar(shape, elem.text or "", path, out)


def _xml_items(shape: Any, elems: list[ET.Element], path: str, out: list[str]) -> None:
    """The items of a list, or the entries of a map (flattened or not)."""
    if shape.type_name == "list":
        for i, item in enumerate(elems):
            _xml(shape.member, item, f"{path}[{i}]", out)
        return
    key_name = str(shape.key.serialization.get("name", "key"))
    value_name = str(shape.value.serialization.get("name", "value"))
    for i, entry in enumerate(elems):
        parts = {_local(c.tag): c for c in entry}
        if set(parts) != {key_name, value_name}:
            out.append(f"{path}[{i}]: a map entry needs <{key_name}> and <{value_name}>, got "
                       f"{sorted(parts)}")
            continue
        key = parts[key_name].text or ""
        _xml(shape.key, parts[key_name], f"{path}[{key!r}] (key)", out)
        _xml(shape.value, parts[value_name], f"{path}[{key!r}]", out)


def _xml_scalar(shape: Any, text: str, path: str, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "string":
        if shape.enum and text not in shape.enum:
            out.append(f"{path}: {text!r} is not a value of the enum {shape.name}")
        return
    ok = True
    if kind in ("integer", "long", "byte", "short"):
        ok = text.strip().lstrip("-").isdigit()
    elif kind in ("float", "double"):
        try:
            float(text)
        except ValueError:
            ok = False
    elif kind == "boolean":
        ok = text in ("true", "false")
    elif kind == "timestamp":
        ok = _parses_as_time(text.strip())
    elif kind == "blob":
        ok = _is_base64(text.strip())
    if not ok:
        out.append(f"{path}: expected {kind}, got {text[:60]!r}")
