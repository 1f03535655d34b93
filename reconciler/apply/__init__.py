"""Applying plans: the stage (``stage.py``), changes on their dependency graph (``graph.py``), one
change's steps and undo (``steps.py``), state table (leases, journal, history), clock, events."""
