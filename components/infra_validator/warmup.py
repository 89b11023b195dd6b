"""Stamped model plus TF Serving warm-up requests, in the stock InfraValidator/Pusher layout."""
from __future__ import annotations

from tensorflow_serving.apis import prediction_log_pb2
from tfx.utils import io_utils, path_utils

# Pusher pushes <InfraBlessing uri>/stamped_model when this custom property is 1.
HAS_MODEL_KEY = "has_model"


def write_warmup_model(model_path: str, blessing_uri: str, pairs: list) -> str:
    """Copy the model to <blessing_uri>/stamped_model with assets.extra warm-up requests."""
    stamped = path_utils.stamped_model_path(blessing_uri)
    io_utils.copy_dir(src=model_path, dst=stamped)
    logs = [
        prediction_log_pb2.PredictionLog(
            predict_log=prediction_log_pb2.PredictLog(request=request, response=response))
        for request, response in pairs
    ]
    io_utils.write_tfrecord_file(path_utils.warmup_file_path(stamped), *logs)
    return stamped
