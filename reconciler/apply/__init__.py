"""Applying plans: executor, state table (leases, journal, history), clock, events."""
