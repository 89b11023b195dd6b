"""The compiled PipelineSpec as the backend reads it: strict parse, tasks in dependency order."""
from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

# Container tasks run the image's command; these two the backend runs itself.
IMPORTER, RESOLVER, CONTAINER = "importer", "resolver", "container"


class SpecError(ValueError):
    """A spec the backend would refuse at submission."""


@dataclass(frozen=True)
class Task:
    """One task of the root DAG with its component and executor."""

    name: str
    spec: dict  # PipelineTaskSpec
    component: dict  # ComponentSpec
    executor: dict  # PipelineDeploymentConfig.ExecutorSpec

    @property
    def kind(self) -> str:
        return next(k for k in (CONTAINER, IMPORTER, RESOLVER) if k in self.executor)

    @property
    def upstream(self) -> list[str]:
        return list(self.spec.get("dependentTasks", []))

    @property
    def condition(self) -> str:
        return self.spec.get("triggerPolicy", {}).get("condition", "")


@dataclass(frozen=True)
class PipelineSpec:
    """Name, root parameters and the ordered tasks of a compiled pipeline."""

    raw: dict
    name: str
    tasks: list[Task]  # dependency order, ties by name (the order a run uses)

    def task(self, name: str) -> Task:
        for task in self.tasks:
            if task.name == name:
                return task
        raise SpecError(f"no task {name!r} in pipeline {self.name}; tasks: "
                        + ", ".join(t.name for t in self.tasks))

    def parameters(self, overrides: dict) -> dict:
        """Root parameter values: runtime config over the declared defaults."""
        declared = self.raw["root"].get("inputDefinitions", {}).get("parameters", {})
        unknown = set(overrides) - set(declared)
        if unknown:
            raise SpecError(f"unknown pipeline parameters {sorted(unknown)}; "
                            f"the spec declares {sorted(declared)}")
        values = {}
        for name, definition in declared.items():
            if name in overrides:
                values[name] = overrides[name]
            elif "defaultValue" in definition:
                values[name] = definition["defaultValue"]
            elif not definition.get("isOptional"):
                raise SpecError(f"pipeline parameter {name!r} has no default: give a value")
        return values


def parse(document: dict) -> PipelineSpec:
    """A PipelineSpec dict (or a PipelineJob holding one), checked by kfp's protos."""
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    raw = document.get("pipelineSpec", document)
    try:
        json_format.ParseDict(raw, pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    except json_format.ParseError as err:
        raise SpecError(f"not a valid PipelineSpec: {err}") from None
    executors = raw["deploymentSpec"]["executors"]
    tasks = {}
    for name, task in raw["root"]["dag"]["tasks"].items():
        component = raw["components"][task["componentRef"]["name"]]
        tasks[name] = Task(name, task, component, executors[component["executorLabel"]])
    return PipelineSpec(raw, raw["pipelineInfo"]["name"], _ordered(tasks))


def load(path: str) -> PipelineSpec:
    """Reads a `ledger compile` output: pipeline.yaml (PipelineSpec) or pipeline_job.json."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        document = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise SpecError(f"{path}: {err}") from None
    if not isinstance(document, dict) or "root" not in document.get("pipelineSpec", document):
        raise SpecError(f"{path}: not a PipelineSpec or PipelineJob (no root DAG)")
    try:
        return parse(document)
    except SpecError as err:
        raise SpecError(f"{path}: {err}") from None


def _ordered(tasks: dict[str, Task]) -> list[Task]:
    """Kahn's order; a cycle or a dependency on a missing task is a spec error."""
    done, order = set(), []
    while len(order) < len(tasks):
        ready = sorted(name for name, task in tasks.items()
                       if name not in done and set(task.upstream) <= done)
        if not ready:
            stuck = sorted(set(tasks) - done)
            raise SpecError(f"tasks {stuck} depend on each other or on missing tasks")
        for name in ready:
            done.add(name)
            order.append(tasks[name])
    return order
