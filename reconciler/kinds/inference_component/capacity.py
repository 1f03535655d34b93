"""Do the components' copies fit on their variant's instances? Checked at plan time (rule 49).

What an instance offers comes from EC2 ``DescribeInstanceTypes`` for the type without ``ml.``
(read-only, once per type and plan): accelerators are its GPUs (``GpuInfo``), else its Neuron
devices (``NeuronInfo``), else its inference accelerators; CPU cores are its default vCPUs; memory
is ``MemoryInfo.SizeInMiB``. SageMaker keeps part of each instance for itself and does not publish
how much, and it does not document how it places copies: so the plan only calls an error what
cannot fit whatever the placement (a lower bound of the instances needed, each copy whole on one
instance, above the variant's maximum), and warns where a first-fit placement needs more
instances than the maximum although the totals fit. An ML type with no EC2 twin is a warning that
fit was not checked, never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from reconciler.kinds.inference_component.spec import ComputeResourceRequirements

DIMENSIONS = ("accelerators", "cpus", "memory")


@dataclass(frozen=True)
class Offer:
    """What one instance of a type offers copies."""

    instance_type: str
    accelerators: float
    cpus: float
    memory: float
    accelerator_word: str
    """How the type's accelerators are called (``GPUs``, ``Neuron devices``)."""

    def amount(self, dimension: str) -> float:
        return float(getattr(self, dimension))


@dataclass(frozen=True)
class Copies:
    """``count`` copies of component ``name``, each needing ``needs`` (by dimension)."""

    name: str
    count: int
    needs: dict[str, float]
    foreign: bool = False
    """A live component on the variant that these specs do not define (someone else's)."""

    @property
    def label(self) -> str:
        return f"{self.name}, live, not in these specs" if self.foreign else self.name


def needs_of(req: ComputeResourceRequirements | None) -> dict[str, float]:
    if req is None:
        return dict.fromkeys(DIMENSIONS, 0.0)
    return {"accelerators": float(req.number_of_accelerator_devices_required or 0),
            "cpus": float(req.number_of_cpu_cores_required or 0),
            "memory": float(req.min_memory_required_in_mb)}


def read_offer(ec2: Any, instance_type: str) -> Offer | None:
    """EC2's figures for the twin of ``instance_type`` (None: EC2 has no such type)."""
    twin = instance_type.removeprefix("ml.")
    try:
        found = ec2.describe_instance_types(InstanceTypes=[twin]).get("InstanceTypes") or []
    except ClientError as err:
        if err.response.get("Error", {}).get("Code", "").startswith("InvalidInstanceType"):
            return None
        raise
    if not found:
        return None
    info = found[0]
    accelerators, word = 0, "accelerators"
    if info.get("GpuInfo"):
        accelerators, word = sum(g.get("Count", 0) for g in info["GpuInfo"].get("Gpus") or []), \
            "GPUs"
    elif info.get("NeuronInfo"):
        accelerators = sum(d.get("Count", 0) for d in info["NeuronInfo"].get("NeuronDevices")
                           or [])
        word = "Neuron devices"
    elif info.get("InferenceAcceleratorInfo"):
        accelerators = sum(a.get("Count", 0) for a in info["InferenceAcceleratorInfo"].get(
            "Accelerators") or [])
    return Offer(instance_type, float(accelerators), float(info["VCpuInfo"]["DefaultVCpus"]),
                 float(info["MemoryInfo"]["SizeInMiB"]), word)


def _unit(offer: Offer, dimension: str, amount: float) -> str:
    number = f"{amount:g}"
    if dimension == "accelerators":
        word = offer.accelerator_word
        return f"{number} {word[:-1] if amount == 1 and word.endswith('s') else word}"
    if dimension == "cpus":
        return f"{number} CPU core{'' if amount == 1 else 's'}"
    return f"{number} MiB"


def per_instance(offer: Offer, needs: dict[str, float]) -> int:
    """Copies of one component an instance holds on its own (0: not even one)."""
    limits = [math.floor(offer.amount(d) / needs[d] + 1e-9) for d in DIMENSIONS if needs[d] > 0]
    return min(limits) if limits else 10**6


def lower_bound(offer: Offer, groups: list[Copies]) -> int:
    """Instances the copies need whatever the placement: each component's on its own, and the
    totals of each dimension."""
    bound = 0
    for g in groups:
        each = per_instance(offer, g.needs)
        if g.count and each:
            bound = max(bound, math.ceil(g.count / each))
    for d in DIMENSIONS:
        total = sum(g.count * g.needs[d] for g in groups)
        if total and offer.amount(d):
            bound = max(bound, math.ceil(total / offer.amount(d) - 1e-9))
    return bound


def first_fit(offer: Offer, groups: list[Copies]) -> int:
    """Instances a first-fit placement (largest copies first) uses."""
    rooms: list[dict[str, float]] = []
    copies = sorted(((g.needs, g.name) for g in groups for _ in range(g.count)),
                    key=lambda c: tuple(-c[0][d] for d in DIMENSIONS))
    for needs, _ in copies:
        for room in rooms:
            if all(room[d] + 1e-9 >= needs[d] for d in DIMENSIONS):
                break
        else:
            room = {d: offer.amount(d) for d in DIMENSIONS}
            rooms.append(room)
        for d in DIMENSIONS:
            room[d] -= needs[d]
    return len(rooms)


@dataclass
class Fit:
    """The verdict for the copies of one variant."""

    errors: list[str]
    warnings: list[str]
    needed: int
    """Instances the copies need at least."""


def check(offer: Offer, groups: list[Copies], maximum: int, limit: str) -> Fit:
    """Do ``groups`` fit on at most ``maximum`` instances (``limit`` says where that maximum
    comes from, e.g. ``managedInstanceScaling max is 2``)?"""
    t = offer.instance_type
    errors: list[str] = []
    for g in groups:
        if g.count and per_instance(offer, g.needs) == 0:
            short = [d for d in DIMENSIONS if g.needs[d] > offer.amount(d)]
            errors.append(f"one copy of {g.label} needs " + ", ".join(
                f"{_unit(offer, d, g.needs[d])} (an {t} has {_unit(offer, d, offer.amount(d))})"
                for d in short))
    if errors:
        return Fit(errors, [], 0)
    needed = lower_bound(offer, groups)
    if needed > maximum:
        parts = []
        for g in groups:
            if not g.count:
                continue
            biggest = max((d for d in DIMENSIONS if g.needs[d]), default="memory",
                          key=lambda d: g.needs[d] / max(offer.amount(d), 1e-9))
            parts.append(f"{g.count} cop{'y' if g.count == 1 else 'ies'} x "
                         f"{_unit(offer, biggest, g.needs[biggest])}"
                         + (f" ({g.label})" if len(groups) > 1 else ""))
        return Fit([f"{' + '.join(parts)} need {needed} x {t}; {limit}"], [], needed)
    placed = first_fit(offer, groups)
    warnings = []
    if placed > maximum:
        warnings.append(f"the copies need at least {needed} x {t}, but a first-fit placement "
                        f"uses {placed}; {limit}. SageMaker does not document how it places "
                        "copies: they may not all fit")
    return Fit([], warnings, needed)
