"""Which instance types SageMaker hosting accepts: the installed botocore's service model.

SageMaker validates ``InstanceType`` against an enum (``ProductionVariantInstanceType`` in the API
reference and in botocore's model); a value outside it is a ValidationException at
CreateEndpointConfig, after CreateModel already ran. Checking the same enum offline makes a typo
fail in ``sagectl validate`` instead. The enum is read from the botocore that is installed, not
copied here: AWS adds instance types with new botocore releases, so a type newer than the
installed botocore is reported with the version and the fix (upgrade boto3).
"""

from __future__ import annotations

import difflib
import functools

ENUM_SHAPE = "ProductionVariantInstanceType"


@functools.cache
def known() -> frozenset[str]:
    """Every instance type the installed botocore's SageMaker model allows for a variant (read
    through ``botoshape``, which has the model loaded already: no botocore session)."""
    from reconciler.spec import botoshape

    return frozenset(botoshape.shape("sagemaker", ENUM_SHAPE)["enum"])


def botocore_version() -> str:
    import botocore

    return str(botocore.__version__)


def problem(value: str) -> str | None:
    """Why ``value`` is not an instance type SageMaker hosting accepts (None: it is one)."""
    if value in known():
        return None
    close = difflib.get_close_matches(value, sorted(known()), n=1, cutoff=0.8)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (f"{value!r} is not a SageMaker instance type for endpoints{hint} (checked against "
            f"{ENUM_SHAPE} in botocore {botocore_version()}; if the type is newer, upgrade "
            "boto3)")


def is_inf1(value: str | None) -> bool:
    """Inf1 (Inferentia 1) instances: deployment guardrails do not apply to them."""
    return bool(value) and str(value).startswith("ml.inf1.")
