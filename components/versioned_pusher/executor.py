"""VersionedPusher executor: deploys the approved version, or records that nothing was pushed."""
from __future__ import annotations

from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils

from pipeline.signing.keys import ECDSA_P256, load_signing_key
from pipeline.signing.models import ModelKeys
from pipeline.signing.service import pipeline_registry

PIPELINE_ACTOR = "pipeline"


class Executor(base_executor.BaseExecutor):
    """Pushes through Registry.push: temp dir, manifest, digest check, atomic rename, record."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:  # noqa: N802 (TFX API)
        blessing = artifact_utils.get_single_instance(input_dict["model_blessing"])
        pushed = artifact_utils.get_single_instance(output_dict["pushed_model"])
        model_name = blessing.get_string_custom_property("model_name")
        if blessing.get_int_custom_property("blessed") != 1:
            pushed.set_int_custom_property("pushed", 0)
            pushed.set_string_custom_property(
                "reason", f"not approved: {blessing.get_string_custom_property('decision')}")
            return
        key = exec_properties.get("model_signing_key") or ""
        registry = pipeline_registry(
            exec_properties, must_exist=True,
            model_keys=ModelKeys(load_signing_key(key, types=(ECDSA_P256,))) if key else None)
        version = blessing.get_int_custom_property("version")
        result = registry.push(model_name, version, exec_properties["serving_root"],
                               actor=PIPELINE_ACTOR, reason="approved by "
                               + blessing.get_string_custom_property("decided_by"),
                               record_artifact=False)  # this component's output is the record
        info = registry.version(model_name, version)
        facts = {
            "pushed_destination": result.destination, "pushed_version": str(version),
            "model_name": model_name, "model_digest": info.model_digest,
            "manifest_sha256": result.manifest_sha256,
            "dataset_version_id": info.dataset_version_id,
            "approval_record_hash": blessing.get_string_custom_property("approval_record_hash"),
            "deploy_record_hash": result.transition.record_hash,
            "pipeline_run": info.pipeline_run,
            "model_signer": info.model_signer,
        }
        for key, value in facts.items():
            pushed.set_string_custom_property(key, value)
        pushed.set_int_custom_property("pushed", 1)
        pushed.set_int_custom_property("version", version)
