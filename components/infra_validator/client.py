"""gRPC client for TF Serving's ModelService and PredictionService (ours or the real binary)."""
from __future__ import annotations

import time
from typing import Callable

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from components.infra_validator import checks

State = get_model_status_pb2.ModelVersionStatus.State
_POLL_S = 0.25
# gRPC backs off reconnecting exponentially from 1 s; a server that starts listening a few
# seconds in would be noticed seconds late. Retry at the pace we poll instead.
_CHANNEL_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 100),
                    ("grpc.min_reconnect_backoff_ms", 100),
                    ("grpc.max_reconnect_backoff_ms", 250)]


class ServingClient:
    """Talks to one model by name on one endpoint; every call is bounded by a deadline."""

    def __init__(self, endpoint: str, model_name: str, signature_name: str):
        self._channel = grpc.insecure_channel(endpoint, options=_CHANNEL_OPTIONS)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)
        self._predictions = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self.model_name, self.signature_name = model_name, signature_name

    def close(self) -> None:
        self._channel.close()

    def wait_until_available(self, deadline: float, check_alive: Callable[[], None]) -> None:
        """Poll GetModelStatus until every version is AVAILABLE; raise on END or deadline."""
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = self.model_name
        while time.monotonic() < deadline:
            check_alive()
            try:
                response = self._models.GetModelStatus(request, timeout=_remaining(deadline, 5))
            except grpc.RpcError:
                time.sleep(_POLL_S)  # Not listening yet: the server is still starting.
                continue
            states = [v.state for v in response.model_version_status]
            if states and all(s == State.AVAILABLE for s in states):
                return
            ended = [v for v in response.model_version_status if v.state == State.END]
            if ended:
                detail = f"server reports END: {ended[0].status.error_message}"
                raise checks.ValidationFailure(checks.MODEL_LOAD_FAILED, detail)
            time.sleep(_POLL_S)
        raise checks.ValidationFailure(checks.TIMEOUT, "model never became AVAILABLE")

    def build_request(self, input_name: str, serialized: list[bytes]) -> predict_pb2.PredictRequest:
        """A Predict request carrying serialized tf.Examples as a [batch] string tensor."""
        request = predict_pb2.PredictRequest()
        request.model_spec.name = self.model_name
        request.model_spec.signature_name = self.signature_name
        request.inputs[input_name].CopyFrom(
            tf.make_tensor_proto(serialized, dtype=tf.string, shape=[len(serialized)]))
        return request

    def predict(self, request: predict_pb2.PredictRequest, deadline: float):
        """Send one Predict; returns (response, outputs as numpy) or raises ValidationFailure."""
        try:
            response = self._predictions.Predict(request, timeout=_remaining(deadline))
        except grpc.RpcError as err:
            code = err.code()
            kind = checks.TIMEOUT if code == grpc.StatusCode.DEADLINE_EXCEEDED else None
            raise checks.ValidationFailure(
                kind or checks.REQUEST_FAILED, f"Predict {code.name}: {err.details()}") from err
        return response, decode_outputs(response)


def decode_outputs(response: predict_pb2.PredictResponse) -> dict[str, np.ndarray]:
    """Response tensors as numpy arrays; an undecodable tensor is a malformed response."""
    try:
        return {k: tf.make_ndarray(v) for k, v in response.outputs.items()}
    except Exception as err:  # Any decoding error means the server answered garbage.
        raise checks.ValidationFailure(checks.MALFORMED_RESPONSE, str(err)) from err


def _remaining(deadline: float, cap: float | None = None) -> float:
    left = max(0.01, deadline - time.monotonic())
    return min(left, cap) if cap else left
