"""Launcher-style MLMD records: pipeline and run contexts, one execution per task, events."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

from ml_metadata.proto import metadata_store_pb2 as mlmd_pb

from kubeflow.local_backend import values

PIPELINE_CONTEXT, RUN_CONTEXT = "system.Pipeline", "system.PipelineRun"
EXECUTION_TYPES = {"container": "system.ContainerExecution",
                   "importer": "system.ImporterExecution",
                   "resolver": "system.ResolverExecution"}
State = mlmd_pb.Execution.State


@dataclass(frozen=True)
class TaskRecord:
    """A finished task of a run as recorded: its execution and output runtime artifacts."""

    execution_id: int
    state: str
    outputs: dict  # output key -> list of RuntimeArtifact dicts (name = MLMD id)
    parameters: dict  # output parameter values


def runtime_artifact(artifact: mlmd_pb.Artifact) -> dict:
    """The RuntimeArtifact the driver builds from MLMD: name = id, all properties as metadata."""
    metadata = {key: values.from_mlmd(value) for props in (artifact.properties,
                artifact.custom_properties) for key, value in props.items()}
    return {"name": str(artifact.id), "uri": artifact.uri, "metadata": metadata}


class RunRecords:
    """Reads and writes one pipeline run's records in an MLMD store."""

    def __init__(self, store, pipeline_name: str, run_id: str):
        self.store, self.pipeline_name, self.run_id = store, pipeline_name, run_id
        self.pipeline_context = self._context(PIPELINE_CONTEXT, pipeline_name, {})
        self.run_context = self._context(RUN_CONTEXT, run_id, {"pipeline_name": pipeline_name})

    def _type_id(self, kind, name: str) -> int:
        put = {mlmd_pb.ContextType: self.store.put_context_type,
               mlmd_pb.ExecutionType: self.store.put_execution_type,
               mlmd_pb.ArtifactType: self.store.put_artifact_type}[kind]
        return put(kind(name=name))

    def _context(self, type_name: str, name: str, facts: dict) -> mlmd_pb.Context:
        found = self.store.get_context_by_type_and_name(type_name, name)
        if found is not None:
            return found
        context = mlmd_pb.Context(type_id=self._type_id(mlmd_pb.ContextType, type_name),
                                  name=name)
        for key, value in facts.items():
            context.custom_properties[key].string_value = value
        [context.id] = self.store.put_contexts([context])
        return context

    def set_run_facts(self, **facts) -> None:
        for key, value in facts.items():
            self.run_context.custom_properties[key].string_value = str(value)
        self.store.put_contexts([self.run_context])

    def start(self, task: str, kind: str, parameters: dict, inputs: dict,
              fingerprint: str = "") -> mlmd_pb.Execution:
        """A RUNNING execution for `task` with INPUT events for the resolved input artifacts."""
        attempt = len(self._executions(task))
        execution = mlmd_pb.Execution(
            type_id=self._type_id(mlmd_pb.ExecutionType, EXECUTION_TYPES[kind]),
            name=f"{self.run_id}/{task}/{attempt}", last_known_state=State.RUNNING)
        facts = {"task_name": task, "display_name": task, "run_id": self.run_id,
                 "inputs": json.dumps(parameters, sort_keys=True),
                 "cache_fingerprint": fingerprint, "started_at": f"{time.time():.3f}"}
        for key, value in facts.items():
            execution.custom_properties[key].string_value = value
        events = [(self._existing(a), self._event(mlmd_pb.Event.INPUT, key))
                  for key, listed in inputs.items() for a in listed]
        execution.id, _, _ = self.store.put_execution(
            execution, events, [self.pipeline_context, self.run_context])
        return execution

    def publish(self, execution: mlmd_pb.Execution, outputs: dict, types: dict,
                parameters: dict | None = None, state=State.COMPLETE) -> TaskRecord:
        """Ends the execution with OUTPUT events: a runtime artifact named by an MLMD id (a
        cached or re-imported one) is linked as it is, any other is recorded as new."""
        events = []
        for key, listed in outputs.items():
            for artifact in listed:
                stored = (self._existing(artifact) if artifact.get("name", "").isdigit()
                          else self._new_artifact(artifact, types[key]))
                events.append((stored, self._event(mlmd_pb.Event.OUTPUT, key)))
        execution.last_known_state = state
        execution.custom_properties["ended_at"].string_value = f"{time.time():.3f}"
        execution.custom_properties["outputs"].string_value = json.dumps(parameters or {})
        self.store.put_execution(
            execution, events, [self.pipeline_context, self.run_context])
        return self.task_record(execution.id)

    def fail(self, execution: mlmd_pb.Execution, cause: str) -> None:
        execution.last_known_state = State.FAILED
        execution.custom_properties["error"].string_value = cause[-4000:]
        execution.custom_properties["ended_at"].string_value = f"{time.time():.3f}"
        self.store.put_executions([execution])

    def task_record(self, execution_id: int) -> TaskRecord:
        [execution] = self.store.get_executions_by_id([execution_id])
        events = [e for e in self.store.get_events_by_execution_ids([execution_id])
                  if e.type == mlmd_pb.Event.OUTPUT]
        artifacts = {a.id: a for a in self.store.get_artifacts_by_id(
            [e.artifact_id for e in events])}
        outputs: dict = {}
        for event in events:
            outputs.setdefault(event.path.steps[0].key, []).append(
                runtime_artifact(artifacts[event.artifact_id]))
        params = json.loads(execution.custom_properties["outputs"].string_value or "{}")
        return TaskRecord(execution_id, State.Name(execution.last_known_state), outputs, params)

    def finished(self, task: str) -> TaskRecord | None:
        """The task's latest COMPLETE or CACHED execution in this run (for a task re-run)."""
        done = [e for e in self._executions(task)
                if e.last_known_state in (State.COMPLETE, State.CACHED)]
        return self.task_record(max(done, key=lambda e: e.id).id) if done else None

    def cached(self, fingerprint: str) -> TaskRecord | None:
        """The newest COMPLETE execution, in any run of this pipeline, with this fingerprint."""
        query = (f"custom_properties.cache_fingerprint.string_value = '{fingerprint}' "
                 f"AND last_known_state = COMPLETE")
        found = [e for e in self.store.get_executions_by_context(
            self.pipeline_context.id, list_options=_filter(query))]
        return self.task_record(max(found, key=lambda e: e.id).id) if found else None

    def _executions(self, task: str) -> list:
        return [e for e in self.store.get_executions_by_context(self.run_context.id)
                if e.custom_properties["task_name"].string_value == task]

    def _existing(self, runtime: dict) -> mlmd_pb.Artifact:
        [artifact] = self.store.get_artifacts_by_id([int(runtime["name"])])
        return artifact

    def _new_artifact(self, runtime: dict, type_name: str) -> mlmd_pb.Artifact:
        artifact = mlmd_pb.Artifact(type_id=self._type_id(mlmd_pb.ArtifactType, type_name),
                                    uri=runtime["uri"], state=mlmd_pb.Artifact.LIVE)
        for key, value in runtime.get("metadata", {}).items():
            artifact.custom_properties[key].CopyFrom(values.to_mlmd(value))
        return artifact

    @staticmethod
    def _event(kind, key: str) -> mlmd_pb.Event:
        event = mlmd_pb.Event(type=kind)
        event.path.steps.add().key = key
        event.path.steps.add().index = 0
        return event


def _filter(query: str):
    from ml_metadata import metadata_store

    return metadata_store.ListOptions(filter_query=query)
