"""Training is reproducible: the same Transform outputs and hyperparameters give the same weights.

The batch order used to come from an unseeded shuffle, so two runs of one configuration trained
different models, and whether a retrained model beat the blessed one was left to chance."""
from __future__ import annotations

import hashlib
import os

import pytest

from models import features

pytestmark = pytest.mark.usefixtures("first_run")


def _transform_outputs(metadata_path: str, pipeline_name: str) -> dict:
    """The pipeline's newest Transform outputs, as the Trainer's input dict names them (the
    session's home holds other datasets' runs too)."""
    from ml_metadata.proto import metadata_store_pb2 as pb
    from tfx.types.artifact_utils import deserialize_artifact

    from pipeline.metadata import open_store, sqlite_spec

    store = open_store(sqlite_spec(metadata_path))
    pipeline = store.get_context_by_type_and_name("pipeline", pipeline_name)
    in_pipeline = {a.id for a in store.get_artifacts_by_context(pipeline.id)}
    wanted = {"examples": ("Examples", "transformed_examples"),
              "transform_graph": ("TransformGraph", "transform_graph")}
    inputs = {}
    for name, (type_name, output_key) in wanted.items():
        artifacts = [a for a in store.get_artifacts_by_type(type_name) if a.id in in_pipeline]
        events = store.get_events_by_artifact_ids([a.id for a in artifacts])
        produced = {e.artifact_id for e in events
                    if e.type == pb.Event.OUTPUT and e.path.steps[0].key == output_key}
        newest = max((a for a in artifacts if a.id in produced), key=lambda a: a.id)
        inputs[name] = [deserialize_artifact(store.get_artifact_type(type_name), newest)]
    return inputs


def _train(inputs: dict, out_dir: str, spec: dict, steps: int) -> str:
    """run_fn as the Trainer calls it; the digest of the saved model's numeric variables, read
    from its checkpoint."""
    import tensorflow as tf
    from tfx.components.trainer import fn_args_utils
    from tfx.proto import trainer_pb2
    from tfx.utils import proto_utils

    from models.model import run_fn

    args = fn_args_utils.get_common_fn_args(inputs, {
        "train_args": proto_utils.proto_to_json(trainer_pb2.TrainArgs(num_steps=steps)),
        "eval_args": proto_utils.proto_to_json(trainer_pb2.EvalArgs(num_steps=2))}, out_dir)
    args.transform_output = inputs["transform_graph"][0].uri
    args.serving_model_dir = os.path.join(out_dir, "serving")
    args.custom_config = {"features": spec}
    run_fn(args)
    reader = tf.train.load_checkpoint(os.path.join(args.serving_model_dir, "variables",
                                                  "variables"))
    digest = hashlib.sha256()
    for name, dtype in sorted(reader.get_variable_to_dtype_map().items()):
        if dtype.is_floating:
            digest.update(name.encode() + reader.get_tensor(name).tobytes())
    return digest.hexdigest()


def test_one_configuration_trains_one_model(penguins, penguin_home, tmp_path):
    from pipeline.local_runner import pipeline_name_for

    inputs = _transform_outputs(penguin_home.metadata_path, pipeline_name_for(penguins))
    spec = features.feature_spec(penguins)
    first, second = (_train(inputs, str(tmp_path / name), spec, steps=5) for name in "ab")
    assert first == second
