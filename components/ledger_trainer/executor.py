"""Trainer executor that also writes the run manifest beside the model and on the Model artifact."""
from __future__ import annotations

import importlib
import json
import os

from tfx.components.trainer.executor import GenericExecutor
from tfx.proto import trainer_pb2
from tfx.types import artifact_utils
from tfx.utils import path_utils, proto_utils

from components.data_lineage.artifacts import fact
from components.ledger_trainer import manifest as run_manifest
from pipeline.digest import model_digest

DATASET_VERSION_KEY = "dataset_version"


def _dataset_version_id(input_dict) -> str:
    versions = input_dict.get(DATASET_VERSION_KEY) or []
    if not versions:
        return ""
    return fact(versions[0], "dataset_version_id", "")


def _hyperparameters(run_fn: str, custom_config: dict) -> dict:
    """The run_fn module's own view of its hyperparameters (defaults applied), if it has one."""
    module = importlib.import_module(run_fn.rsplit(".", 1)[0])
    resolve = getattr(module, "hyperparameters", None)
    return resolve(custom_config) if resolve else dict(custom_config.get("hyperparameters") or {})


class Executor(GenericExecutor):
    """Runs `run_fn` as the stock Trainer does, then records what made the model."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:  # noqa: N802 (TFX API)
        super().Do(input_dict, output_dict, exec_properties)
        model = artifact_utils.get_single_instance(output_dict["model"])
        serving_dir = path_utils.serving_model_path(model.uri)
        custom_config = json.loads(exec_properties.get("custom_config") or "{}")
        train_args = proto_utils.json_to_proto(exec_properties["train_args"],
                                               trainer_pb2.TrainArgs())
        eval_args = proto_utils.json_to_proto(exec_properties["eval_args"],
                                              trainer_pb2.EvalArgs())
        digest = model_digest(serving_dir)
        manifest = run_manifest.build_run_manifest(
            run_fn=exec_properties["run_fn"],
            hyperparameters=_hyperparameters(exec_properties["run_fn"], custom_config),
            train_steps=train_args.num_steps,
            eval_steps=eval_args.num_steps,
            dataset_version_id=_dataset_version_id(input_dict),
            examples_uri=artifact_utils.get_single_uri(input_dict["examples"]),
            transform_graph_uri=artifact_utils.get_single_uri(input_dict["transform_graph"]),
            model_digest=digest,
        )
        with open(os.path.join(serving_dir, run_manifest.MANIFEST_FILE), "w") as handle:
            handle.write(run_manifest.dumps(manifest))
        model.set_string_custom_property("model_digest", digest)
        model.set_string_custom_property("run_manifest", json.dumps(manifest, sort_keys=True))
        model.set_string_custom_property("dataset_version_id", manifest["dataset_version_id"])
        model.set_string_custom_property("hyperparameters",
                                         json.dumps(manifest["hyperparameters"], sort_keys=True))
        model.set_string_custom_property("code_revision", manifest["code_revision"]["commit"])
        model.set_int_custom_property("code_dirty", int(manifest["code_revision"]["dirty"]))
