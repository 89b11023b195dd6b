"""The launcher's half of a container task: run the image's command, read the ExecutorOutput."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass

from kubeflow.local_backend.driver import fill_placeholders

# What kubeflow/Dockerfile sets in the image (ENV): the process sees it as a pod would.
IMAGE_ENV = {"LEDGER_ARTIFACT_DIALECT": "kfp", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
# The image's entrypoint is `python`; here, the project's interpreter.
_PYTHON = re.compile(r"^(python|python3(\.\d+)?)$")
# The last line naming an exception in a Python traceback: the cause a user needs.
_ERROR_LINE = re.compile(r"^(\w+(\.\w+)*(Error|Exception|Exit)|\w+Error)\b.*", re.M)


class TaskFailed(RuntimeError):
    """A task's process exited non-zero; message names the task and the cause."""

    def __init__(self, task: str, cause: str, log_path: str = ""):
        where = f" (log: {log_path})" if log_path else ""
        super().__init__(f"task {task} failed: {cause}{where}")
        self.task, self.cause, self.log_path = task, cause, log_path


@dataclass(frozen=True)
class Launch:
    """One process run: its phase (preCacheCheck or executor), timing and log file."""

    phase: str
    started: float
    ended: float
    log_path: str


@dataclass(frozen=True)
class Environment:
    """How the launcher starts processes: interpreter, working directory, environment."""

    python: str
    cwd: str
    env: dict

    def command(self, command: list[str], args: list[str], document: dict) -> list[str]:
        argv = [fill_placeholders(part, document) for part in list(command) + list(args)]
        if argv and _PYTHON.match(argv[0]):
            argv[0] = self.python
        return argv


def prepare_output_folders(document: dict) -> None:
    """As the KFP launcher does: the parent folder of each output, not the output itself."""
    outputs = document["outputs"]
    paths = [p["outputFile"] for p in outputs.get("parameters", {}).values()]
    paths += [a["uri"] for listed in outputs.get("artifacts", {}).values()
              for a in listed["artifacts"]]
    for path in paths + [outputs["outputFile"]]:
        os.makedirs(os.path.dirname(path), exist_ok=True)


def run_process(task: str, phase: str, argv: list[str], environment: Environment,
                log_dir: str) -> Launch:
    """Runs one process to the end with its output in `<log_dir>/<phase>.log`."""
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, f"{phase}.log")
    started = time.time()
    with open(log_path, "w", encoding="utf-8") as log:
        code = subprocess.run(argv, cwd=environment.cwd, env=environment.env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
    ended = time.time()
    if code != 0:
        raise TaskFailed(task, f"{phase} exited {code}: {failure_cause(log_path)}", log_path)
    return Launch(phase, started, ended, log_path)


def failure_cause(log_path: str) -> str:
    """The exception line that ended the process (absl prints the traceback last)."""
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    lines = [m.group(0) for m in _ERROR_LINE.finditer(text)]
    if lines:
        return lines[-1].strip()
    tail = [line for line in text.strip().splitlines() if line.strip()]
    return tail[-1].strip() if tail else "no output"


def read_executor_output(path: str) -> dict:
    """The ExecutorOutput the process wrote (none written: empty, as the launcher treats it)."""
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    message = pipeline_spec_pb2.ExecutorOutput()
    json_format.ParseDict(document, message, ignore_unknown_fields=False)
    return json_format.MessageToDict(message)


def merge_outputs(provisioned: dict, executor_output: dict) -> dict:
    """mergeRuntimeArtifacts: the executor's URI and metadata override the provisioned ones."""
    merged = {}
    for key, listed in provisioned.items():
        artifact = dict(listed["artifacts"][0])
        written = executor_output.get("artifacts", {}).get(key, {}).get("artifacts", [])
        if written:
            artifact["uri"] = written[0].get("uri") or artifact["uri"]
            artifact["metadata"] = {**artifact.get("metadata", {}),
                                    **written[0].get("metadata", {})}
        merged[key] = [artifact]
    return merged


def environment(python: str, cwd: str, extra: dict | None = None) -> Environment:
    env = {**os.environ, **IMAGE_ENV, **(extra or {})}
    return Environment(python, cwd, env)
