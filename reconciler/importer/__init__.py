"""``sagectl import``: describe live SageMaker endpoints as specs, and adopt them.

live AWS --read (live.py)--> what the endpoints use --naming.py / documents.py--> spec documents
--yamltext.py--> one YAML file per endpoint --adopt.py--> a rehearsed plan, then ownership tags

The written specs plan as ``No changes.`` once their resources carry sagectl's ownership tags;
``adopt.py`` checks that with the kinds' own planning code before it tags anything. ``run.py``
strings the stages together for the command (``reconciler/cli/imports.py``).
"""

from __future__ import annotations

from reconciler.importer.live import ImportRefused
from reconciler.importer.run import ImportOptions, ImportResult, run_import

__all__ = ["ImportOptions", "ImportRefused", "ImportResult", "run_import"]
