"""Generic field work for turning AWS responses into spec documents (the kinds' ``to_document``
for ``sagectl import``), driven by the spec models.

- ``prune``: drop what the spec fills anyway (pydantic defaults, empty values), so an imported
  spec says only what differs from the defaults. Both sides of a plan's diff are canonical
  (defaults filled), so a pruned spec plans exactly as the full one.
- ``unmanaged``: fields of a response that no spec field maps (settings sagectl would not carry
  over to a new config or model), for a warning (``unmanaged_warning``).
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from reconciler.kinds._aws import extra_from_boto, to_pascal
from reconciler.kinds._live import unwrap_annotation

RESERVED_PREFIXES = ("sagectl:", "aws:")


def user_tags(tags: dict[str, str]) -> dict[str, str]:
    """Tags a spec can hold: neither sagectl's bookkeeping nor AWS's own."""
    return {k: v for k, v in sorted(tags.items())
            if not k.lower().startswith(RESERVED_PREFIXES)}


def _model_of(annotation: Any, value: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the spec model a value maps to, whether the value is a list of them)."""
    for candidate in unwrap_annotation(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel) \
                and isinstance(value, dict):
            return candidate, False
        if typing.get_origin(candidate) is list and isinstance(value, list):
            for item in unwrap_annotation(typing.get_args(candidate)[0]):
                if isinstance(item, type) and issubclass(item, BaseModel):
                    return item, True
    return None, False


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def prune(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (spec-shaped) without defaults and empty values, keys in the model's order."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        alias = info.alias or name
        if alias not in data:
            continue
        value = data[alias]
        sub, many = _model_of(info.annotation, value)
        if sub is not None:
            value = [prune(sub, v) if isinstance(v, dict) else v for v in value] if many \
                else prune(sub, value)
        if not info.is_required():
            if _empty(value):
                continue
            default = info.get_default(call_default_factory=True)
            if isinstance(default, BaseModel):
                default = default.model_dump(by_alias=True, mode="json", exclude_none=True)
            if default is not None and type(default) is type(value) and value == default:
                continue
            if isinstance(default, float) and isinstance(value, int | float) \
                    and not isinstance(value, bool) and value == default:
                continue
        out[alias] = value
    return out


def unmanaged(model: type[BaseModel], data: dict[str, Any], ignore: frozenset[str],
              path: str = "") -> list[str]:
    """Paths of set fields in a boto3 response (``data``) that ``model`` does not map."""
    fields = {to_pascal(info.alias or name): info for name, info in model.model_fields.items()}
    extra = extra_from_boto(model, data)  # what the model's awsExtra takes: managed
    found: list[str] = []
    for key, value in data.items():
        here = f"{path}.{key}" if path else key
        info = fields.get(key)
        if info is None:
            taken = key[:1].lower() + key[1:] in extra
            if key not in ignore and not taken and not _empty(value) and value != "":
                found.append(here)
            continue
        sub, many = _model_of(info.annotation, value)
        if sub is None:
            continue
        if not many:
            found += unmanaged(sub, value, ignore, here)
            continue
        for i, item in enumerate(value):
            if isinstance(item, dict):
                label = item.get("VariantName") or item.get("PolicyName") or i
                found += unmanaged(sub, item, ignore, f"{here}[{label}]")
    return found


def unmanaged_warning(what: str, paths: list[str], consequence: str) -> list[str]:
    """The warning about ``unmanaged`` settings, if there are any."""
    if not paths:
        return []
    return [f"{what} has settings sagectl does not manage: {', '.join(paths)}; {consequence}"]


def integral(value: Any) -> Any:
    """Floats that are whole numbers as ints (``90`` rather than ``90.0``), recursively: the
    spec's float fields accept both, and people write the former."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value
