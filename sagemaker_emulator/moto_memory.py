"""Keep moto from holding every DynamoDB item it ever made.

moto's ``BaseModel.__new__`` appends every model instance to its class's ``instances_tracked``
list (for the MotoServer dashboard, which the emulator does not serve), and nothing removes them
until a reset. DynamoDB makes items on every call: each PutItem, each answer it copies, and each
TransactWriteItems deep-copies every table it names (to undo a cancelled transaction). An apply
of 50 endpoints left about 145,000 dead ``Item`` objects (3 million Python objects with their
attribute values) alive, and the garbage collector's full passes over them took over a second
each: at the benchmarks' time factors that is thousands of simulated seconds in which the
apply's clock ran and nothing happened (``bench/apply_bench.py``).

``untrack_dynamodb_models`` gives moto's DynamoDB model classes a ``__new__`` that does not
track: the items, tables and backups a backend holds are unchanged, the copies it drops are
freed. It changes nothing AWS would show.
"""

from __future__ import annotations

from typing import Any


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def untrack_dynamodb_models() -> None:
    """Idempotent; ``install()`` calls it. A class-level ``__new__`` outlives moto's resets
    (``reset_model_data`` only empties the tracking lists)."""
    import moto.dynamodb.models  # noqa: F401  (defines the model classes)
    from moto.core.model_instances import model_data

    for model in model_data.get("dynamodb", {}).values():
        if isinstance(model, type) and "__new__" not in vars(model):
            model.__new__ = staticmethod(_untracked_new)  # type: ignore[assignment]
            model.instances_tracked = []  # type: ignore[attr-defined]
