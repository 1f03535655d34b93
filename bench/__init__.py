"""Benchmarks: run from the repository root as modules (``python -m bench.plan_bench``), so
they share the tests' helpers instead of copying them."""
