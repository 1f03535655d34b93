"""Drift: live AWS against the specs, every difference classified (``classify.py``), rendered
(``render.py``), and healed where that is safe (``run.py``)."""
