"""The document envelope: ``apiVersion``, ``kind``, ``metadata``, ``spec``.

A pydantic model per kind is built from the kind's spec model, so one validation of a document
checks its envelope and spec together and error locations are paths from the document root.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, create_model

from reconciler.kinds import KINDS
from reconciler.kinds._base import Kind, SpecModel
from reconciler.spec.environments import EnvironmentSpec

API_VERSION = "sagectl/v1"
ENVIRONMENT_KIND = "Environment"

LabelKey = Annotated[str, StringConstraints(min_length=1, max_length=253)]
LabelValue = Annotated[str, StringConstraints(max_length=1024)]


class Metadata(SpecModel):
    name: str
    labels: dict[LabelKey, LabelValue] = {}
    """Free-form labels for people and tools; not sent to AWS."""
    annotations: dict[LabelKey, LabelValue] = {}
    """Free-form notes for people and tools; not sent to AWS."""


def _metadata_model(kind: str, pattern: str, max_length: int, help_text: str) -> type[Metadata]:
    name_type = Annotated[str, StringConstraints(min_length=1, max_length=max_length,
                                                 pattern=pattern)]
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{kind}Metadata",
        __base__=Metadata,
        __doc__=f"Identity of the {kind}.",
        name=(name_type, Field(description=f"Name of the resource in AWS: {help_text}.")),
    )


def _document_model(kind: str, metadata: type[Metadata], spec: type[SpecModel],
                    description: str) -> type[SpecModel]:
    return create_model(  # type: ignore[call-overload,no-any-return]
        f"{kind}Document",
        __base__=SpecModel,
        __doc__=description,
        api_version=(Literal[API_VERSION], Field(description="Always `sagectl/v1`.")),
        kind=(Literal[kind], Field(description=f"Always `{kind}`.")),  # type: ignore[valid-type]
        metadata=(metadata, ...),
        spec=(spec, ...),
    )


@cache
def document_model(kind: str) -> type[SpecModel]:
    if kind == ENVIRONMENT_KIND:
        meta = _metadata_model(kind, r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", 63,
                               "lower-case letters, digits and hyphens, like the file name")
        return _document_model(kind, meta, EnvironmentSpec,
                               "An environment: variables and per-resource overrides.")
    k: type[Kind] = KINDS[kind]
    meta = _metadata_model(kind, k.name_pattern, k.name_max_length, name_help(kind))
    return _document_model(kind, meta, k.spec_model, k.description)


def name_help(kind: str) -> str:
    if kind == ENVIRONMENT_KIND:
        return "lower-case letters, digits and hyphens"
    k = KINDS[kind]
    note = f", {k.name_length_note}" if k.name_length_note else ""
    return f"{k.name_help}; at most {k.name_max_length} characters{note}"


def all_document_models() -> dict[str, type[BaseModel]]:
    return {kind: document_model(kind) for kind in [*KINDS, ENVIRONMENT_KIND]}
