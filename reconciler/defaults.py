"""Defaults the command line shows in its help, kept free of imports: building ``sagectl``'s
parser must not import boto3 or the stages (start-up time, see bench/startup_bench.py). The
modules that use them (``aws``, ``apply.state``, ``apply.context``, ``iam.policy``) import them
from here."""

DEFAULT_CONCURRENCY = 16
"""AWS reads at once (the ``Aws`` pool)."""
DEFAULT_PARALLEL = 64
"""Independent changes applied at once."""
DEFAULT_TABLE = "sagectl-state"
"""The DynamoDB table of leases, journal, history and quarantine records."""
LEASE_SECONDS = 900.0
"""How long a lease lasts unless its run renews it: one not renewed for this long belongs to a
run that died."""
IAM_MODES = ("plan", "apply")
"""``sagectl iam-policy --mode``: read-only, or with every change."""
