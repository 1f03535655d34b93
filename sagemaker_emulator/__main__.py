"""``python -m sagemaker_emulator serve``."""

from sagemaker_emulator.cli import main

raise SystemExit(main())
