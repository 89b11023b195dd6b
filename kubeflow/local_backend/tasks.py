"""One task as the backend runs it: container (lifecycle hook, cache), importer, resolver."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

from kubeflow.local_backend import cel, driver, launcher, resolver
from kubeflow.local_backend.records import State, TaskRecord
from kubeflow.local_backend.spec import CONTAINER, IMPORTER, Task


@dataclass
class TaskResult:
    """What happened to one task: its final state, record and process runs."""

    name: str
    state: str  # COMPLETE, CACHED, CANCELED (condition false), FAILED
    record: TaskRecord | None
    launches: list = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    executor_input: dict | None = None


@dataclass
class TaskRunner:
    """Runs tasks of one run; `lock` guards the MLMD store shared by concurrent tasks."""

    run: driver.RunContext
    records: object  # RunRecords
    environment: launcher.Environment
    lock: object
    use_cache: bool = True

    def execute(self, task: Task, upstream: dict) -> TaskResult:
        started = time.time()
        if task.kind == CONTAINER:
            result = self._container(task, upstream)
        elif task.kind == IMPORTER:
            result = self._importer(task, upstream)
        else:
            result = self._resolver(task, upstream)
        result.started, result.ended = started, time.time()
        return result

    def _container(self, task: Task, upstream: dict) -> TaskResult:
        document = driver.executor_input(task, self.run, upstream)
        container = task.executor["container"]
        if task.condition and not cel.evaluate(task.condition, document["inputs"]):
            return self._not_triggered(task, document)
        launches, log_dir = [], self.run.task_root(task.name)
        hook = container.get("lifecycle", {}).get("preCacheCheck")
        if hook and self.run.mode == driver.VERTEX:  # the open-source backend has no hooks
            launches.append(self._launch(task, "preCacheCheck", hook, document, log_dir))
            self._apply_hook_output(document)
        fingerprint = _fingerprint(task, document) if self._caching(task) else ""
        with self.lock:
            cached = self.records.cached(fingerprint) if fingerprint else None
            execution = self.records.start(task.name, CONTAINER,
                                           document["inputs"]["parameterValues"],
                                           _ids(document["inputs"]["artifacts"]), fingerprint)
            if cached:
                record = self.records.publish(execution, cached.outputs, {}, cached.parameters,
                                              State.CACHED)
                return TaskResult(task.name, "CACHED", record, launches,
                                  executor_input=document)
        try:
            launches.append(self._launch(task, "executor", container, document, log_dir))
            written = launcher.read_executor_output(document["outputs"]["outputFile"])
            outputs = launcher.merge_outputs(document["outputs"]["artifacts"], written)
            with self.lock:
                record = self.records.publish(execution, outputs, _types(task), _params(written))
        except BaseException as err:  # never leave the execution RUNNING, even on Ctrl-C
            with self.lock:
                self.records.fail(execution, f"{type(err).__name__}: {err}")
            raise
        return TaskResult(task.name, "COMPLETE", record, launches, executor_input=document)

    def _launch(self, task, phase, container, document, log_dir) -> launcher.Launch:
        argv = self.environment.command(container["command"], container.get("args", []),
                                        document)
        launcher.prepare_output_folders(document)
        return launcher.run_process(task.name, phase, argv, self.environment, log_dir)

    @staticmethod
    def _apply_hook_output(document: dict) -> None:
        """Vertex updates the task's parameters and output artifacts from the hook's output."""
        written = launcher.read_executor_output(document["outputs"]["outputFile"])
        document["inputs"]["parameterValues"].update(written.get("parameterValues", {}))
        merged = launcher.merge_outputs(document["outputs"]["artifacts"], written)
        for key, artifacts in merged.items():
            document["outputs"]["artifacts"][key]["artifacts"] = artifacts

    def _caching(self, task: Task) -> bool:
        return self.use_cache and task.spec.get("cachingOptions", {}).get("enableCache", False)

    def _not_triggered(self, task: Task, document: dict) -> TaskResult:
        with self.lock:
            execution = self.records.start(task.name, CONTAINER,
                                           document["inputs"]["parameterValues"],
                                           _ids(document["inputs"]["artifacts"]))
            record = self.records.publish(execution, {}, {}, {}, State.CANCELED)
        return TaskResult(task.name, "CANCELED", record)

    def _importer(self, task: Task, upstream: dict) -> TaskResult:
        spec = task.executor["importer"]
        parameters = driver.parameter_values(task, self.run, upstream)
        source = spec["artifactUri"]
        uri = (parameters[source["runtimeParameter"]] if "runtimeParameter" in source
               else source["constant"])
        type_name = _title(spec["typeSchema"])
        with self.lock:
            execution = self.records.start(task.name, IMPORTER, parameters, {})
            artifact = resolver.import_artifact(
                self.records.store, self.records, uri, type_name, spec.get("metadata", {}),
                bool(spec.get("reimport", False)))
            key = next(iter(task.component["outputDefinitions"]["artifacts"]))
            record = self.records.publish(execution, {key: [artifact]}, {key: type_name})
        return TaskResult(task.name, "COMPLETE", record)

    def _resolver(self, task: Task, upstream: dict) -> TaskResult:
        inputs = driver.input_artifacts(task, self.run, upstream)
        outputs = {}
        with self.lock:
            execution = self.records.start(task.name, "resolver", {}, _ids(inputs))
            for key, query in task.executor["resolver"]["outputArtifactQueries"].items():
                filled = resolver.fill_query(query["filter"], inputs)
                outputs[key] = resolver.resolve(self.records.store, filled) if filled else []
            record = self.records.publish(execution, outputs, {})
        return TaskResult(task.name, "COMPLETE", record)


def _fingerprint(task: Task, document: dict) -> str:
    """The cache key: inputs (artifact ids, parameter values), outputs spec and the command."""
    key = {"inputs": {"parameters": document["inputs"]["parameterValues"],
                      "artifacts": {key: [a["name"] for a in listed["artifacts"]] for key, listed
                                    in document["inputs"]["artifacts"].items()}},
           "outputs": task.component.get("outputDefinitions", {}),
           "container": {k: task.executor["container"].get(k) for k in ("command", "args")}}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _ids(artifacts: dict) -> dict:
    """Input key -> the runtime artifacts (named by MLMD id) the INPUT events point at."""
    return {key: listed["artifacts"] for key, listed in artifacts.items()}


def _types(task: Task) -> dict:
    return {key: _title(spec["artifactType"]) for key, spec in
            task.component.get("outputDefinitions", {}).get("artifacts", {}).items()}


def _title(schema: dict) -> str:
    """The MLMD type name for an artifact type schema: its title, as the launcher names it."""
    if "schemaTitle" in schema:
        return schema["schemaTitle"]
    import yaml

    return (yaml.safe_load(schema.get("instanceSchema", "")) or {}).get("title", "system.Artifact")


def _params(written: dict) -> dict:
    return dict(written.get("parameterValues", {}))

