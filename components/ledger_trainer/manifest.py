"""The run manifest of a trained model: hyperparameters, code, frameworks and the data it saw."""
from __future__ import annotations

import json

from pipeline import provenance

MANIFEST_FILE = "manifest.json"


def build_run_manifest(*, run_fn: str, hyperparameters: dict, train_steps: int, eval_steps: int,
                       dataset_version_id: str, examples_uri: str, transform_graph_uri: str,
                       model_digest: str) -> dict:
    """A JSON-able manifest; module digests and the git revision are read now, not guessed."""
    module = run_fn.rsplit(".", 1)[0]
    revision = provenance.code_revision()
    return {
        "run_fn": run_fn,
        "module": provenance.module_digest(module),
        "preprocessing_module": provenance.module_digest("models.preprocessing"),
        "hyperparameters": hyperparameters,
        "train_steps": train_steps,
        "eval_steps": eval_steps,
        "code_revision": revision.as_dict(),
        "library_versions": provenance.library_versions(),
        "dataset_version_id": dataset_version_id,
        "examples_uri": examples_uri,
        "transform_graph_uri": transform_graph_uri,
        "model_digest": model_digest,
    }


def dumps(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, sort_keys=True)
