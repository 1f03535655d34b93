"""What ``sagectl promote`` pins in a Model: the ``modelPackageVersion`` of each container that
comes from the registry (``modelPackageGroupName``, or ``modelPackageGroupArn``: a group in
another account); ``latestApproved`` (or no version) follows
the newest Approved one."""

from __future__ import annotations

from reconciler.contract import NothingToPromote, RegistryPin
from reconciler.kinds.model.spec import LATEST_APPROVED, ModelSpec
from reconciler.spec.resources import Resource

VERSION_KEY = "modelPackageVersion"
GROUP_KEY = "modelPackageGroupName"
GROUP_ARN_KEY = "modelPackageGroupArn"


def registry_pins(resource: Resource) -> list[RegistryPin]:
    spec: ModelSpec = resource.spec  # type: ignore[assignment]
    if spec.primary_container is not None:
        containers = [(("spec", "primaryContainer"), " ", spec.primary_container)]
    else:
        containers = [(("spec", "containers", i), f" containers[{i}].", c)
                      for i, c in enumerate(spec.containers or [])]
    pins = [RegistryPin(resource.kind, resource.name, at, group,
                        c.model_package_version or LATEST_APPROVED,
                        GROUP_KEY if c.model_package_group_name else GROUP_ARN_KEY, VERSION_KEY,
                        LATEST_APPROVED, f"{resource.name}{where}{VERSION_KEY}")
            for at, where, c in containers if (group := c.registry_group) is not None]
    if not pins:
        raise NothingToPromote(f"model {resource.name} has no container from the registry "
                               f"({GROUP_KEY} or {GROUP_ARN_KEY}); there is no version to promote")
    return pins
