"""One process of the MariaDB concurrency test: registers, approves, pushes and rolls back.

    python concurrency_worker.py SPEC MODEL WORKER ROUNDS WORK_DIR

Prints JSON: the versions it registered and the rollbacks it recorded.
"""
from __future__ import annotations

import json
import os
import sys

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest
from pipeline.registry import Registry, RegistryError
from pipeline.registry.log import retry_transient


def _model(registry, work: str, tag: str) -> tuple[int, str, str]:
    """A small model directory and its Model artifact (type registered by the test)."""
    uri = os.path.join(work, "models", tag)
    serving = os.path.join(uri, "Format-Serving")
    os.makedirs(os.path.join(serving, "variables"))
    for rel, text in (("saved_model.pb", f"graph {tag}"),
                      ("variables/variables.index", f"index {tag}")):
        with open(os.path.join(serving, rel), "w") as handle:
            handle.write(text)
    type_id = registry.store.get_artifact_type("Model").id
    [artifact_id] = retry_transient(
        lambda: registry.store.put_artifacts([pb.Artifact(type_id=type_id, uri=uri)]))
    return artifact_id, uri, digest.model_digest(serving)


def _rollback(registry, model: str, worker: int) -> int:
    """Roll back, retrying while other processes move the model under us; 1 if recorded."""
    for _ in range(10):
        try:
            registry.rollback(model, actor=f"worker-{worker}", reason="concurrency test")
            return 1
        except RegistryError as exc:
            if "nothing to roll back to" in str(exc):  # another process rolled back first
                return 0
            if "changed while rolling back" not in str(exc):
                raise
    return 0


def main(spec: str, model: str, worker: int, rounds: int, work: str) -> dict:
    registry = Registry.open(json.loads(spec))
    serving_root = os.path.join(work, "serving")
    done = {"registered": [], "rolled_back": 0}
    for round_ in range(rounds):
        artifact_id, uri, model_digest = _model(registry, work, f"{model}-w{worker}-r{round_}")
        info = registry.register_version(model, artifact_id, uri, model_digest,
                                         actor=f"worker-{worker}")
        registry.transition(model, info.version, "validated", actor="evaluator", reason="ok")
        registry.approve(model, info.version, by="alice", reason="ok",
                         current_digest=model_digest)
        registry.push(model, info.version, serving_root, actor="alice")
        done["registered"].append(info.version)
    if worker % 2:
        done["rolled_back"] = _rollback(registry, model, worker)
    return done


if __name__ == "__main__":
    spec_arg, model_arg, worker_arg, rounds_arg, work_arg = sys.argv[1:6]
    print(json.dumps(main(spec_arg, model_arg, int(worker_arg), int(rounds_arg), work_arg)))
