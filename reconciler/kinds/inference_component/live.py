"""Inference components as AWS has them, in spec form; and the desired side in the same form.

DescribeInferenceComponent answers with an ``InferenceComponentSpecificationSummary``: its
container shows the image as ``DeployedImage`` (``SpecifiedImage`` is what was asked for) where
the request has ``Image``. Both sides are brought to the spec model's canonical form (defaults
filled, what AWS adds dropped), so the diff sees only what the spec owns.
"""

from __future__ import annotations

import copy
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds._aws import boto_request
from reconciler.kinds._live import canonical, dump, from_boto, not_found
from reconciler.kinds.inference_component.spec import InferenceComponentSpec, Specification
from reconciler.plan.model import digest

DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
BUSY = {"Creating", "Updating", "Deleting"}


def resource_id(name: str) -> str:
    """The Application Auto Scaling resource id of a component's copy count."""
    return f"inference-component/{name}"


def describe(client: Any, name: str) -> dict[str, Any] | None:
    """DescribeInferenceComponent (None: no such component)."""
    try:
        return client.describe_inference_component(  # type: ignore[no-any-return]
            InferenceComponentName=name)
    except ClientError as err:
        if not_found(err):
            return None
        raise


def model_aws_name(reference: str, names: dict[str, str]) -> str:
    """The AWS name of a component's model: a Model spec's content name, or an ARN's name."""
    if reference.startswith("arn:"):
        return reference.rsplit("/", 1)[-1]
    return names.get(reference, reference)


def desired_request(spec: InferenceComponentSpec, names: dict[str, str]) -> dict[str, Any]:
    """The API's Specification for ``spec`` (its model by AWS name)."""
    request = boto_request(spec.specification)
    if "ModelName" in request:
        request["ModelName"] = model_aws_name(request["ModelName"], names)
    return request


def desired_canonical(spec: InferenceComponentSpec, names: dict[str, str]) -> dict[str, Any]:
    out = dump(spec.specification)
    if "modelName" in out:
        out["modelName"] = model_aws_name(out["modelName"], names)
    return out


def live_canonical(described: dict[str, Any]) -> dict[str, Any]:
    """The specification a component runs, spec-shaped."""
    return canonical(Specification, from_boto(Specification, _as_request(described)))


def live_request(described: dict[str, Any]) -> dict[str, Any]:
    """The Specification that puts the component back on what it runs (a rollback's request)."""
    found = Specification.model_validate(live_canonical(described), strict=False)
    return boto_request(found)


def spec_digest(canonical_form: dict[str, Any]) -> str:
    """What verification compares: a digest of a canonical specification (no values in the
    plan: a container's environment may hold secrets)."""
    return digest(canonical_form)


def _as_request(described: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(described.get("Specification") or {})
    container = spec.get("Container")
    if isinstance(container, dict):
        deployed = container.pop("DeployedImage", None) or {}
        if deployed.get("SpecifiedImage"):
            container["Image"] = deployed["SpecifiedImage"]
    return spec  # type: ignore[no-any-return]


def copies(described: dict[str, Any] | None) -> int | None:
    """The desired copy count AWS has (the autoscaler's or the owner's)."""
    runtime = (described or {}).get("RuntimeConfig") or {}
    value = runtime.get("DesiredCopyCount")
    return None if value is None else int(value)
