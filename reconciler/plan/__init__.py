"""The plan stage: desired vs live, as data (``model``), and its views (``render``)."""
