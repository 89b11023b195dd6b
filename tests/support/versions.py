"""Model versions for serving tests: copies of a real SavedModel, registered and pushed."""

from __future__ import annotations

import os
import shutil

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest
from pipeline.paths import LedgerPaths
from pipeline.registry import Registry


def publish(registry: Registry, home: LedgerPaths, model_dir: str, name: str = "penguins"):
    """Register `model_dir` as the next version of `name`, approve it and push it: production."""
    model_type = registry.store.put_artifact_type(
        pb.ArtifactType(name="Model", base_type=pb.ArtifactType.MODEL)
    )
    [artifact_id] = registry.store.put_artifacts([pb.Artifact(type_id=model_type, uri=model_dir)])
    model_digest = digest.model_digest(model_dir)
    info = registry.register_version(
        name, artifact_id, model_dir, model_digest, push_source_uri=model_dir
    )
    registry.transition(name, info.version, "validated", actor="test", reason="copy")
    registry.approve(name, info.version, by="test", reason="copy", current_digest=model_digest)
    registry.push(name, info.version, home.serving_root, actor="test")
    return registry.version(name, info.version)


def copy_model(shared_registry, destination: str, variant: str = "") -> str:
    """The real penguins@1 SavedModel copied to `destination`; a variant adds a file under
    assets.extra/ (ignored by loading, part of the digest): another version, same answers."""
    source = shared_registry.version("penguins", 1).pushed_destination
    shutil.copytree(source, destination,
                    ignore=shutil.ignore_patterns("manifest.json", "model.sig"))
    if variant:
        os.makedirs(os.path.join(destination, "assets.extra"), exist_ok=True)
        with open(os.path.join(destination, "assets.extra", "variant.txt"), "w") as handle:
            handle.write(variant)
    return destination
