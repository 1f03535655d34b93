"""The contract a resource kind implements, and the registry the core is handed.

Two halves: ``contract/spec.py`` is what a spec model and its checks are built on (``SpecModel``,
``Issue``, ``CheckContext``); ``contract/kind.py`` is the ``Kind`` a stage asks and the
``Registry`` it is handed. Both are re-exported here, the one name the rest of the code imports.

The core (``spec/``, ``plan/``, ``apply/``) never imports a kind: the command line assembles a
``Registry`` (``reconciler/cli/registry.py``) and hands it to the stage entry points
(``load_specs``, ``make_plan``, ``execute``), as kopf's engine receives its registry. Nothing here
knows SageMaker; what every SageMaker kind shares (name patterns, ARNs, tags, boto3 request
casing) is in ``reconciler/kinds/_aws.py``.

The stages beyond planning and applying ask the kinds too, each through its own section of
``Kind``, so that drift/, importer/, iam/ and promote.py hold no knowledge of any kind: orphans
(what the planner deletes, once it has decided that it may), drift (``Kind.drift``, from what the
plan observed), import (``Kind.import_*``, ``to_document``, ``adoption``), IAM
(``Kind.permissions``, ``policy_resources``) and promote (``Kind.registry_pins``, ``uses``).

Field naming: a spec field is the boto3 parameter name with its first letter lowered
(``InitialInstanceCount`` -> ``initialInstanceCount``, ``VolumeSizeInGB`` -> ``volumeSizeInGB``),
so a person who knows the API can guess it. Python attributes are snake_case; the alias
generator below maps between the two, keeping AWS's acronyms (GB, MB, SSM).

Validation happens in two layers:
1. pydantic (strict types, ranges, enums, unknown keys rejected) — also exported as JSON Schema;
2. ``Kind.check()`` for rules that involve several fields or other resources. It yields
   ``Issue``s with a field path, so every problem is reported at its own file:line:column.
"""

from reconciler.contract.kind import Kind, NothingToPromote, Orphan, Registry, RegistryPin
from reconciler.contract.spec import (
    PATTERN_HELP,
    CheckContext,
    Issue,
    LoadedFile,
    SpecModel,
    describe_pattern,
    duplicates,
    pattern_help,
    to_camel,
)

__all__ = [
    "PATTERN_HELP", "CheckContext", "Issue", "Kind", "LoadedFile", "NothingToPromote", "Orphan",
    "Registry", "RegistryPin", "SpecModel", "describe_pattern", "duplicates", "pattern_help",
    "to_camel",
]
