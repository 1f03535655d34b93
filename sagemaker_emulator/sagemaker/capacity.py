"""The emulator's model of where inference component copies go: the one place its capacity
arithmetic lives (sagemaker-rules.md rule 34).

What AWS documents: a copy of a component needs the ``ComputeResourceRequirements`` it states
(accelerator devices, CPU cores, memory) on one instance of the variant's type; an adapter
component "uses the compute resources that you assigned to the base inference component"
(InferenceComponentSpecification); with managed instance scaling the endpoint provisions between
``MinInstanceCount`` and ``MaxInstanceCount`` instances "as it scales up or down to accommodate
traffic" (ProductionVariantManagedInstanceScaling), and ``IDLE_RELEASE`` "releases instances that
have no hosted inference component copies" (ProductionVariantManagedInstanceScalingScaleInPolicy).

What the emulator chooses where AWS says no more (sagemaker-rules.md, "Not documented"):

- An instance offers what EC2 ``DescribeInstanceTypes`` says of the type without ``ml.`` (moto's
  data): accelerators = GPUs (``GpuInfo``), else Neuron devices (``NeuronInfo``), else inference
  accelerators; CPU cores = default vCPUs; memory = ``MemoryInfo.SizeInMiB``. SageMaker keeps
  some of each instance for itself; how much is not published, so the emulator keeps nothing.
- Copies are placed first-fit, components in creation order, a copy on the first instance with
  room, a new instance only when none has room (bin packing AWS does not describe).
- The variant can have at most ``MaxInstanceCount`` instances when managed instance scaling is
  ``ENABLED``, else its instance count. With managed instance scaling, the instances it runs are
  those the placed copies use, at least ``MinInstanceCount``; an endpoint without any component
  keeps its ``InitialInstanceCount``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

Params = dict[str, Any]


@dataclass(frozen=True)
class Resources:
    accelerators: float = 0.0
    cpus: float = 0.0
    memory_mb: float = 0.0

    def fits_in(self, room: Resources) -> bool:
        return (self.accelerators <= room.accelerators + 1e-9 and self.cpus <= room.cpus + 1e-9
                and self.memory_mb <= room.memory_mb + 1e-9)

    def minus(self, other: Resources) -> Resources:
        return Resources(self.accelerators - other.accelerators, self.cpus - other.cpus,
                         self.memory_mb - other.memory_mb)


@functools.cache
def instance_resources(instance_type: str) -> Resources | None:
    """What one ``ml.*`` instance offers copies (EC2's data for its twin); None if unknown."""
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    info = INSTANCE_TYPES.get(instance_type.removeprefix("ml."))
    if info is None:
        return None
    accelerators = 0
    if info.get("GpuInfo"):
        accelerators = sum(g.get("Count", 0) for g in info["GpuInfo"].get("Gpus") or [])
    elif info.get("NeuronInfo"):
        accelerators = sum(d.get("Count", 0)
                           for d in info["NeuronInfo"].get("NeuronDevices") or [])
    elif info.get("InferenceAcceleratorInfo"):
        accelerators = sum(a.get("Count", 0)
                           for a in info["InferenceAcceleratorInfo"].get("Accelerators") or [])
    return Resources(float(accelerators), float(info["VCpuInfo"]["DefaultVCpus"]),
                     float(info["MemoryInfo"]["SizeInMiB"]))


def copy_needs(specification: Params) -> Resources:
    """What one copy of a component with ``specification`` takes on an instance."""
    req = specification.get("ComputeResourceRequirements") or {}
    return Resources(float(req.get("NumberOfAcceleratorDevicesRequired") or 0),
                     float(req.get("NumberOfCpuCoresRequired") or 0),
                     float(req.get("MinMemoryRequiredInMb") or 0))


@dataclass
class Demand:
    """The copies one component asks for on a variant."""

    name: str
    needs: Resources
    copies: int


@dataclass
class Placement:
    placed: dict[str, int]
    """Copies placed, by component."""
    instances: int
    """Instances the placed copies use."""
    limit: int
    per_instance: Resources | None

    def pending(self, demand: Demand) -> int:
        return demand.copies - self.placed.get(demand.name, 0)


def place(demands: list[Demand], per_instance: Resources | None, limit: int) -> Placement:
    """First-fit placement of ``demands`` (in order) on at most ``limit`` instances."""
    rooms: list[Resources] = []
    placed: dict[str, int] = {}
    for demand in demands:
        placed[demand.name] = 0
        for _ in range(demand.copies):
            if per_instance is None:
                break
            slot = next((i for i, room in enumerate(rooms) if demand.needs.fits_in(room)), None)
            if slot is None and len(rooms) < limit and demand.needs.fits_in(per_instance):
                rooms.append(per_instance)
                slot = len(rooms) - 1
            if slot is None:
                break
            rooms[slot] = rooms[slot].minus(demand.needs)
            placed[demand.name] += 1
    return Placement(placed, len(rooms), limit, per_instance)


def instance_limit(variant: Any) -> int:
    """How many instances the variant can have (``VariantState``)."""
    scaling = variant.managed_scaling or {}
    if scaling.get("Status") == "ENABLED" and scaling.get("MaxInstanceCount"):
        return int(scaling["MaxInstanceCount"])
    return int(variant.desired_count or 0)


def managed_count(variant: Any, placement: Placement | None) -> int | None:
    """The instance count managed instance scaling gives the variant, None when it is off."""
    scaling = variant.managed_scaling or {}
    if scaling.get("Status") != "ENABLED":
        return None
    if placement is None:
        return None
    low = int(scaling.get("MinInstanceCount") or 0)
    return max(low, min(placement.instances, instance_limit(variant)))


def explain(demand: Demand, placement: Placement, instance_type: str | None) -> str:
    """Why ``demand``'s copies do not all fit, in plain words (a FailureReason)."""
    per = placement.per_instance
    if per is None:
        return (f"The instance type {instance_type} has no known capacity to place inference "
                "component copies on.")
    needs = demand.needs
    if not needs.fits_in(per):
        return (f"One copy of inference component {demand.name} needs {_describe(needs)}; one "
                f"{instance_type} offers {_describe(per)}.")
    per_copy = min(_ratio(per.accelerators, needs.accelerators), _ratio(per.cpus, needs.cpus),
                   _ratio(per.memory_mb, needs.memory_mb))
    alone = math.ceil(demand.copies / per_copy) if per_copy != math.inf else 1
    return (f"Insufficient capacity: {demand.copies} copies of inference component "
            f"{demand.name} ({_describe(needs)} each, {per_copy:g} per {instance_type}) need "
            f"{alone} x {instance_type} on their own; the variant can have at most "
            f"{placement.limit} instance(s), which with the other components' copies hold "
            f"{placement.placed.get(demand.name, 0)} of them.")


def explain_side_by_side(mine: list[Demand], placement: Placement,
                         instance_type: str | None) -> str:
    """Why a component's old and new specification copies (a rolling step) do not all fit."""
    per = placement.per_instance
    if per is None:
        return (f"The instance type {instance_type} has no known capacity to place inference "
                "component copies on.")
    held = ", ".join(f"{d.copies} x {d.name} ({_describe(d.needs)} each)" for d in mine if d.copies)
    placed = sum(placement.placed.get(d.name, 0) for d in mine)
    return (f"Insufficient capacity: {held} must run side by side; the variant can have at most "
            f"{placement.limit} x {instance_type}, which with the other components' copies hold "
            f"{placed} of these {sum(d.copies for d in mine)} copies.")


def _ratio(offer: float, need: float) -> float:
    return math.floor(offer / need) if need else math.inf


def _describe(r: Resources) -> str:
    parts = []
    if r.accelerators:
        parts.append(f"{r.accelerators:g} accelerator devices")
    if r.cpus:
        parts.append(f"{r.cpus:g} CPU cores")
    parts.append(f"{r.memory_mb:g} MB of memory")
    return ", ".join(parts)
