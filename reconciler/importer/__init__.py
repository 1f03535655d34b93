"""``sagectl import``: describe live resources as specs, and adopt them.

The stage knows no kind: the import root kind (``Kind.import_root``: endpoints) reads what was
named and what it uses, asking the kinds of those (``Kind.import_read``, ``import_choice``,
``to_document``) in an ``ImportContext`` (naming.py), and gives the documents of each file
(documents.py) --yamltext.py--> one YAML file per named resource --adopt.py--> a rehearsed plan
(each kind's ``Kind.adoption`` and planning code), then ownership tags.

The written specs plan as ``No changes.`` once their resources carry sagectl's ownership tags;
``adopt.py`` checks that with the kinds' own planning code before it tags anything. ``run.py``
strings the stages together for the command (``reconciler/cli/imports.py``).
"""

from __future__ import annotations

from reconciler.importer.live import ImportRefused
from reconciler.importer.run import ImportOptions, ImportResult, run_import

__all__ = ["ImportOptions", "ImportRefused", "ImportResult", "run_import"]
