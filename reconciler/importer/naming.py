"""Which live resources become new spec documents, and under which names.

An endpoint's models and alarms may already be described by the spec tree (another endpoint's
import, a hand-written spec), be managed by sagectl already, or be nobody's. The rules:

- the endpoint itself: refused if sagectl manages it, if the tree defines it already, if its
  name is too long for content-named configs (54 characters), or if its config is another
  endpoint's too;
- a model: a Model spec that names it (``sagectl.io/aws-name``, or the spec a sagectl-made model
  was created for) is referenced; an unmanaged model becomes a new Model spec named like the model
  (cut to 54 characters, made unique); one managed by sagectl that no spec names is refused;
- a rollback alarm: an Alarm spec of that name is referenced; an unmanaged alarm becomes an Alarm
  spec; a composite alarm, one of Application Auto Scaling's (a target-tracking policy's), or one
  another environment manages, is referenced as `external: true`; one that does not exist is left
  out (SageMaker cannot use it either);
- an alarm whose dimensions name the endpoint: imported when nobody manages it, else left out.

A resource this environment already tagged with the very address an import gives it is a previous
import whose adoption stopped half-way: it is imported again (and tagged again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.importer.live import ImportRefused, LiveEstate, Tagged
from reconciler.kinds._aws import CONTENT_SUFFIX_LEN
from reconciler.kinds.alarm.managed import owned_by_autoscaling
from reconciler.kinds.model.adopt import annotated_name
from reconciler.spec.resources import SpecSet

MAX_NAME = 63 - CONTENT_SUFFIX_LEN


@dataclass
class Tree:
    """What the spec tree defines already, outside the files the import (re)writes."""

    env: str
    endpoints: dict[str, str] = field(default_factory=dict)
    """Endpoint name -> file."""
    models: set[str] = field(default_factory=set)
    adopted_models: dict[str, str] = field(default_factory=dict)
    """Live model name (annotation) -> Model spec name."""
    alarms: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, specs: SpecSet, rewritten: set[Path]) -> Tree:
        tree = cls(specs.env_name or "")
        for r in specs.resources:
            if Path(r.file).resolve() in rewritten:
                continue
            if r.kind == "Endpoint":
                tree.endpoints[r.name] = r.file
            elif r.kind == "Model":
                tree.models.add(r.name)
                live = annotated_name(r)
                if live:
                    tree.adopted_models[live] = r.name
            elif r.kind == "Alarm":
                tree.alarms.add(r.name)
        return tree


@dataclass
class Choice:
    """What to do with one live model or alarm."""

    name: str
    """Its spec name."""
    new: bool
    """Whether the import writes (and adoption tags) a document for it."""
    external: bool = False


@dataclass
class Naming:
    tree: Tree
    models: dict[str, Choice] = field(default_factory=dict)
    """Live model name -> choice."""
    alarms: dict[str, Choice | None] = field(default_factory=dict)
    """Alarm name -> choice (None: left out)."""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    configs: dict[str, str] = field(default_factory=dict)
    """Endpoint config name -> the endpoint of this import that uses it."""

    def _mine(self, live: Tagged, address: str) -> bool:
        """Tagged by this environment for exactly this address (an adoption cut short)."""
        return live.env == self.tree.env and live.address == address

    def endpoint(self, live: Tagged, config: Tagged) -> None:
        name = live.name
        if live.managed:
            raise ImportRefused(f"endpoint {name} is already managed by sagectl "
                                f"({live.owner_text()}): there is nothing to import")
        if name in self.tree.endpoints:
            raise ImportRefused(f"endpoint {name} is already defined in "
                                f"{self.tree.endpoints[name]}")
        if len(name) > MAX_NAME:
            raise ImportRefused(f"endpoint {name} has {len(name)} characters; sagectl manages "
                                f"endpoints of up to {MAX_NAME} (it names their configs "
                                "<endpoint>-<hash8>)")
        if config.managed and not self._mine(config, f"Endpoint.{name}"):
            raise ImportRefused(f"endpoint config {config.name} of endpoint {name} is managed "
                                f"by sagectl ({config.owner_text()})")
        other = self.configs.setdefault(config.name, name)
        if other != name:
            raise ImportRefused(f"endpoints {other} and {name} share endpoint config "
                                f"{config.name}; sagectl gives each endpoint configs of its own "
                                "(and deletes old ones): import them one at a time, after "
                                "moving one to a config of its own")

    def _model_name(self, live: str) -> str:
        base = live[:MAX_NAME].rstrip("-")
        taken = self.tree.models | {c.name for c in self.models.values()}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base[:MAX_NAME - len(str(n)) - 1].rstrip('-')}-{n}"
        return name

    def model(self, live: Tagged) -> Choice:
        if live.name in self.models:
            return self.models[live.name]
        if live.name in self.tree.adopted_models:
            choice = Choice(self.tree.adopted_models[live.name], new=False)
        elif live.managed:
            address = live.address or ""
            owned_spec = address.removeprefix("Model.")
            candidate = self._model_name(live.name)
            if live.env == self.tree.env and owned_spec in self.tree.models:
                choice = Choice(owned_spec, new=False)
            elif self._mine(live, f"Model.{candidate}"):
                choice = Choice(candidate, new=True)
            else:
                raise ImportRefused(f"model {live.name} is managed by sagectl "
                                    f"({live.owner_text()}), but no Model spec here describes "
                                    "it")
        else:
            choice = Choice(self._model_name(live.name), new=True)
        self.models[live.name] = choice
        return choice

    def alarm(self, name: str, estate: LiveEstate, rollback: bool) -> Choice | None:
        if name in self.alarms:
            return self.alarms[name]
        live = estate.alarms.get(name)
        choice: Choice | None
        if name in self.tree.alarms:
            choice = Choice(name, new=False)
        elif name in estate.composite:
            choice = Choice(name, new=False, external=True)
            self.notes.append(f"rollback alarm {name} is a composite alarm: referenced with "
                              "`external: true`")
        elif live is None:
            choice = None
            self.warnings.append(f"rollback alarm {name} does not exist; it is left out of the "
                                 "deployment config")
        elif owned_by_autoscaling(name):
            choice = Choice(name, new=False, external=True)
            self.notes.append(f"rollback alarm {name} belongs to Application Auto Scaling (a "
                              "target-tracking policy's): referenced with `external: true`; its "
                              "name changes whenever the policy is made again")
        elif not live.managed or self._mine(live, f"Alarm.{name}"):
            choice = Choice(name, new=True)
        elif rollback and live.env != self.tree.env:
            choice = Choice(name, new=False, external=True)
            self.notes.append(f"rollback alarm {name} is managed by sagectl "
                              f"({live.owner_text()}): referenced with `external: true`")
        elif rollback:
            raise ImportRefused(f"alarm {name} is managed by sagectl ({live.owner_text()}), but "
                                "no Alarm spec here describes it")
        else:
            choice = None
            self.notes.append(f"alarm {name} is managed by sagectl ({live.owner_text()}); left "
                              "out")
        self.alarms[name] = choice
        return choice
