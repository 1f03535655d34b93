"""The ``sagectl`` command line (``main.py``): commands only, one module per command; exit codes,
diagnostics and the shared option groups in ``common.py``; the kinds assembled in
``registry.py``."""
