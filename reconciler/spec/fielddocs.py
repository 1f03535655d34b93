"""Field descriptions from attribute docstrings, read only when a schema is generated.

A spec model documents a field with the string literal on the line under it.
pydantic can read those itself (``use_attribute_docstrings``), but it does so for every model
class at import time, parsing each class's source: about 0.2 s of every command's start-up for
text only ``sagectl schema`` and the spec reference show. So the models do not ask for it, and
``SchemaWithDocs`` adds the descriptions while it writes the schema, from the same docstrings
read the same way (the class source, parsed with ``ast``).
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import textwrap
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue


@functools.cache
def attribute_docs(cls: type) -> dict[str, str]:
    """``{field name: docstring}`` of the fields declared in ``cls`` itself."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # built at run time (document models): no source
        return {}
    tree = ast.parse(source)
    node = next((n for n in tree.body if isinstance(n, ast.ClassDef)), None)
    docs: dict[str, str] = {}
    body = node.body if node is not None else []
    for stmt, following in itertools.pairwise(body):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and \
                isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) \
                and isinstance(following.value.value, str):
            docs[stmt.target.id] = inspect.cleandoc(following.value.value)
    return docs


def _docs(cls: type) -> dict[str, str]:
    """Attribute docstrings of ``cls`` and its bases (the nearest class wins)."""
    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        out.update(attribute_docs(klass))
    return out


class SchemaWithDocs(GenerateJsonSchema):
    """pydantic's JSON Schema generator, with each field's attribute docstring as its
    ``description`` where the field has none of its own."""

    def model_schema(self, schema: Any) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        cls = schema["cls"]
        docs = _docs(cls)
        properties = json_schema.get("properties") or {}
        for name, field in cls.model_fields.items():
            doc = docs.get(name)
            prop = properties.get(field.alias or name)
            if doc and isinstance(prop, dict) and "description" not in prop:
                prop["description"] = doc
        return json_schema
