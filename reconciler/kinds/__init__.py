"""Resource kinds: one package (or module) per kind, each holding all of that kind's AWS
knowledge behind the contract in ``reconciler/contract/``. Nothing here lists them: the command
line assembles the registry (``reconciler/cli/registry.py``) and hands it to the core.
``_aws.py`` is what the SageMaker kinds share; ``_live.py`` the read side they share."""
