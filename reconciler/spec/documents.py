"""The document envelope: ``apiVersion``, ``kind``, ``metadata``, ``spec``.

A pydantic model per kind is built from the kind's spec model, so one validation of a document
checks its envelope and spec together and error locations are paths from the document root.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, create_model

from reconciler.contract import Kind, Registry, SpecModel
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


ENVIRONMENT_NAME_HELP = "lower-case letters, digits and hyphens"


@cache
def environment_model() -> type[SpecModel]:
    meta = _metadata_model(ENVIRONMENT_KIND, r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", 63,
                           f"{ENVIRONMENT_NAME_HELP}, like the file name")
    return _document_model(ENVIRONMENT_KIND, meta, EnvironmentSpec,
                           "An environment: variables and per-resource overrides.")


@cache
def document_model(kind: type[Kind]) -> type[SpecModel]:
    meta = _metadata_model(kind.kind, kind.name_pattern, kind.name_max_length,
                           name_help(kind))
    return _document_model(kind.kind, meta, kind.spec_model, kind.description)


def name_help(kind: type[Kind]) -> str:
    note = f", {kind.name_length_note}" if kind.name_length_note else ""
    return f"{kind.name_help}; at most {kind.name_max_length} characters{note}"


def all_document_models(kinds: Registry) -> dict[str, type[BaseModel]]:
    """Every document model of ``kinds``, and the environment's."""
    models: dict[str, type[BaseModel]] = {k: document_model(kinds[k]) for k in kinds}
    models[ENVIRONMENT_KIND] = environment_model()
    return models
