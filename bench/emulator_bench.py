"""How fast is the emulator itself? Calls per second for create / describe / update, in process
and through the local server, so that later benchmarks can subtract the emulator's own cost.

    python -m bench.emulator_bench [--n 200]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from bench.fleet import load_average
from sagemaker_emulator import Emulator, in_process
from sagemaker_emulator.server import EmulatorServer, RemoteEmulator

ROLE = "arn:aws:iam::123456789012:role/inference"


def _variant(model: str, itype: str = "ml.m5.large") -> dict[str, Any]:
    return {"VariantName": "main", "ModelName": model, "InstanceType": itype,
            "InitialInstanceCount": 2}


def run(emu: Emulator, n: int) -> dict[str, tuple[int, float]]:
    """{operation: (calls, seconds)}"""
    sm = emu.client("sagemaker")
    emu.freeze()
    results: dict[str, tuple[int, float]] = {}

    def timed(name: str, calls_per_item: int, fn: Callable[[int], None]) -> None:
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        results[name] = (n * calls_per_item, time.perf_counter() - start)

    def create(i: int) -> None:
        sm.create_model(ModelName=f"m{i}", ExecutionRoleArn=ROLE,
                        PrimaryContainer={"Image": "img"})
        sm.create_endpoint_config(EndpointConfigName=f"c{i}",
                                  ProductionVariants=[_variant(f"m{i}")])
        sm.create_endpoint(EndpointName=f"e{i}", EndpointConfigName=f"c{i}")

    timed("create (model + config + endpoint)", 3, create)
    emu.advance(10_000)
    timed("describe_endpoint", 1, lambda i: sm.describe_endpoint(EndpointName=f"e{i}"))
    for i in range(n):
        sm.create_endpoint_config(EndpointConfigName=f"d{i}",
                                  ProductionVariants=[_variant(f"m{i}", "ml.c5.large")])
    timed("update_endpoint", 1,
          lambda i: sm.update_endpoint(EndpointName=f"e{i}", EndpointConfigName=f"d{i}"))
    emu.advance(10_000)
    timed("update_endpoint_weights_and_capacities", 1,
          lambda i: sm.update_endpoint_weights_and_capacities(
              EndpointName=f"e{i}", DesiredWeightsAndCapacities=[
                  {"VariantName": "main", "DesiredInstanceCount": 3}]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="endpoints per run (default 200)")
    args = parser.parse_args()
    with in_process() as emu:
        local = run(emu, args.n)
    with EmulatorServer(port=0) as url:
        remote = RemoteEmulator(url)
        remote.reset()
        served = run(remote, args.n)
    print(f"emulator benchmark, {args.n} endpoints per operation")
    print(f"{'operation':42} {'in process':>22} {'served (127.0.0.1)':>24}")
    for name, (calls, secs) in local.items():
        s_calls, s_secs = served[name]
        print(f"{name:42} {calls / secs:9.0f} calls/s {1000 * secs / calls:5.1f} ms"
              f" {s_calls / s_secs:11.0f} calls/s {1000 * s_secs / s_calls:5.1f} ms")


if __name__ == "__main__":
    main()
    print(load_average())
