"""Pipeline definitions as CreatePipeline / UpdatePipeline receive them: inline or from S3,
checked at the basic level SageMaker checks them (see ``pipelines.py`` for what differs from
moto).

The published definition schema (aws-sagemaker-mlops/sagemaker-model-building-pipeline-definition-
JSON-schema) requires ``Steps``; the emulator also requires ``Version`` and at least one step,
as the SageMaker SDK always writes them and sagectl's own spec checks demand them.
"""

from __future__ import annotations

from typing import Any

from sagemaker_emulator.dispatch import CallContext, json_object, validation

Params = dict[str, Any]
MAX_INLINE = 1_048_576
"""Characters of an inline PipelineDefinition (the service model's maximum)."""


# -- definitions ------------------------------------------------------------------------------

def check_definition(text: str) -> None:
    """SageMaker's basic checks of a pipeline definition, with clear messages."""
    doc = json_object(text, "pipeline definition",
                      "it must be a JSON object with Version and Steps")
    if not isinstance(doc.get("Version"), str):
        raise validation("Invalid pipeline definition: Version must be a string "
                         "(e.g. \"2020-12-01\").")
    steps = doc.get("Steps")
    if not isinstance(steps, list) or not steps:
        raise validation("Invalid pipeline definition: Steps must be a non-empty list of steps.")
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("Name"), str) \
                or not isinstance(step.get("Type"), str):
            raise validation(f"Invalid pipeline definition: step {i + 1} needs a Name and a Type.")
        if step["Name"] in seen:
            raise validation(f"Invalid pipeline definition: duplicate step name "
                             f"'{step['Name']}'.")
        seen.add(step["Name"])


def _from_s3(ctx: CallContext, location: Any) -> str:
    from moto.s3.models import s3_backends

    if not isinstance(location, dict) or not location.get("Bucket") \
            or not location.get("ObjectKey"):
        raise validation("PipelineDefinitionS3Location needs Bucket and ObjectKey.")
    bucket, key = location["Bucket"], location["ObjectKey"]
    where = f"s3://{bucket}/{key}"
    try:
        obj = s3_backends[ctx.account]["aws"].get_object(bucket, key,
                                                          version_id=location.get("VersionId"))
    except Exception:  # moto raises MissingBucket and friends
        obj = None
    if obj is None:
        raise validation(f"Could not read the pipeline definition from {where}: no such bucket, "
                         "key or version.")
    try:
        return obj.value.decode("utf-8")  # type: ignore[no-any-return]
    except UnicodeDecodeError:
        raise validation(f"The pipeline definition at {where} is not UTF-8 text.") from None


def definition_of(ctx: CallContext, params: Params, required: bool) -> str | None:
    """The definition a CreatePipeline / UpdatePipeline request gives, checked (None: none)."""
    inline, location = params.get("PipelineDefinition"), params.get("PipelineDefinitionS3Location")
    if inline is not None and location is not None:
        raise validation("Only one of PipelineDefinition and PipelineDefinitionS3Location can be "
                         "specified.")
    if inline is None and location is None:
        if required:
            raise validation("Either PipelineDefinition or PipelineDefinitionS3Location must be "
                             "specified.")
        return None
    if inline is not None:
        if not isinstance(inline, str):
            raise validation("PipelineDefinition must be a string.")
        if len(inline) > MAX_INLINE:
            raise validation("1 validation error detected: Value at 'pipelineDefinition' failed "
                             "to satisfy constraint: Member must have length less than or equal "
                             f"to {MAX_INLINE}. Put larger definitions in S3 "
                             "(PipelineDefinitionS3Location).")
        text = inline
    else:
        text = _from_s3(ctx, location)
    check_definition(text)
    return text
