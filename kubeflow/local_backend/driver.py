"""The driver's half of a task: its ExecutorInput, built as KFP's driver builds it."""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass

from kubeflow.local_backend import values
from kubeflow.local_backend.spec import Task

VERTEX, OPEN_SOURCE = "vertex", "open-source"
OUTPUT_METADATA_FILE = "executor_output.json"

# Pipeline placeholders the driver fills when a constant parameter is exactly one of them.
RUN_PLACEHOLDERS = {
    "{{$.pipeline_job_name}}": "job_name",
    "{{$.pipeline_job_resource_name}}": "job_name",
    "{{$.pipeline_job_uuid}}": "run_id",
    "{{$.pipeline_task_name}}": "task_name",
    "{{$.pipeline_job_create_time_utc}}": "created_at",
}
_PARAMETER_KINDS = {"STRING": str, "NUMBER_INTEGER": (int, float), "NUMBER_DOUBLE": (int, float),
                    "BOOLEAN": bool, "LIST": list, "STRUCT": dict}


class InputError(ValueError):
    """An input the driver cannot resolve (missing producer output, wrong parameter type)."""


@dataclass(frozen=True)
class RunContext:
    """What the backend knows about the run when it drives a task."""

    pipeline_name: str
    pipeline_root: str
    run_id: str
    job_name: str
    created_at: str
    parameters: dict  # root parameter values
    mode: str = VERTEX

    def task_root(self, task: str) -> str:
        return os.path.join(self.pipeline_root, self.pipeline_name, self.run_id, task)


def parameter_values(task: Task, run: RunContext, upstream: dict) -> dict:
    """inputs.parameterValues: root parameters, constants (pipeline placeholders filled) and
    upstream output parameters, each checked against the component's declared type."""
    declared = task.component.get("inputDefinitions", {}).get("parameters", {})
    resolved = {}
    for name, source in task.spec.get("inputs", {}).get("parameters", {}).items():
        if "componentInputParameter" in source:
            value = run.parameters[source["componentInputParameter"]]
        elif "runtimeValue" in source:
            value = source["runtimeValue"]["constant"]
            if isinstance(value, str) and value in RUN_PLACEHOLDERS:
                field = RUN_PLACEHOLDERS[value]
                value = task.name if field == "task_name" else getattr(run, field)
        elif "taskOutputParameter" in source:
            ref = source["taskOutputParameter"]
            value = upstream[ref["producerTask"]].parameters[ref["outputParameterKey"]]
        else:
            raise InputError(f"{task.name}: parameter {name!r} has an unsupported source {source}")
        kind = declared.get(name, {}).get("parameterType", "STRING")
        if not isinstance(value, _PARAMETER_KINDS.get(kind, object)) or (
                kind != "BOOLEAN" and isinstance(value, bool)):
            raise InputError(f"{task.name}: input parameter {name!r} type mismatch: "
                             f"expect {kind}, got {value!r}")
        resolved[name] = float(value) if kind.startswith("NUMBER") else value
    return resolved


def input_artifacts(task: Task, run: RunContext, upstream: dict) -> dict:
    """inputs.artifacts from the producers' recorded outputs. Vertex passes each with the type
    the spec declares; the open-source driver passes none (the collapsed, empty schema)."""
    declared = task.component.get("inputDefinitions", {}).get("artifacts", {})
    resolved = {}
    for name, source in task.spec.get("inputs", {}).get("artifacts", {}).items():
        ref = source.get("taskOutputArtifact")
        if ref is None:
            raise InputError(f"{task.name}: artifact input {name!r} has an unsupported source")
        producer = upstream.get(ref["producerTask"])
        listed = producer.outputs.get(ref["outputArtifactKey"], []) if producer else []
        if not listed:
            if declared.get(name, {}).get("isOptional") or producer is not None:
                continue  # an empty resolver output, or an optional input left unset
            raise InputError(f"{task.name}: input {name!r} needs {ref['producerTask']}."
                             f"{ref['outputArtifactKey']}, which was not produced")
        artifacts = []
        for runtime in listed:
            runtime = copy.deepcopy(runtime)
            if run.mode == VERTEX:
                runtime["type"] = declared[name]["artifactType"]
            artifacts.append(runtime)
        resolved[name] = {"artifacts": artifacts}
    return resolved


def provision_outputs(task: Task, run: RunContext) -> dict:
    """outputs: one URI per output artifact under <root>/<pipeline>/<run id>/<task>/, and the
    task's single output metadata file."""
    root = run.task_root(task.name)
    outputs = task.component.get("outputDefinitions", {})
    artifacts = {name: {"artifacts": [{
        "name": name, "uri": os.path.join(root, name), "type": spec["artifactType"],
        **({"metadata": spec["metadata"]} if spec.get("metadata") else {})}]}
        for name, spec in outputs.get("artifacts", {}).items()}
    parameters = {name: {"outputFile": os.path.join(root, "parameters", name)}
                  for name in outputs.get("parameters", {})}
    return {"artifacts": artifacts, "parameters": parameters,
            "outputFile": os.path.join(root, OUTPUT_METADATA_FILE)}


def executor_input(task: Task, run: RunContext, upstream: dict) -> dict:
    """The ExecutorInput (JSON form) for a container task; checked by kfp's proto."""
    document = {"inputs": {"parameterValues": parameter_values(task, run, upstream),
                           "artifacts": input_artifacts(task, run, upstream)},
                "outputs": provision_outputs(task, run)}
    check(document)
    return document


def check(document: dict) -> None:
    """Strict parse into pipeline_spec_pb2.ExecutorInput: no unknown or ill-typed field."""
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    json_format.ParseDict(document, pipeline_spec_pb2.ExecutorInput(),
                          ignore_unknown_fields=False)


def fill_placeholders(text: str, document: dict) -> str:
    """The launcher's substitution: `{{$}}` (the whole ExecutorInput) and the per-input ones."""
    import json

    inputs, outputs = document["inputs"], document["outputs"]
    replacements = {"{{$}}": json.dumps(document, separators=(",", ":"))}
    for name, value in inputs.get("parameterValues", {}).items():
        replacements[f"{{{{$.inputs.parameters['{name}']}}}}"] = values.parameter_text(value)
    for side, listed in (("inputs", inputs.get("artifacts", {})),
                         ("outputs", outputs.get("artifacts", {}))):
        for name, artifacts in listed.items():
            if artifacts["artifacts"]:
                replacements[f"{{{{$.{side}.artifacts['{name}'].uri}}}}"] = \
                    artifacts["artifacts"][0]["uri"]
    for placeholder, value in replacements.items():
        text = text.replace(placeholder, value)
    return text
