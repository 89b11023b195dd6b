"""PredictionService and ModelService over one SavedModel (import after tf_runtime)."""
from __future__ import annotations

import os
import sys
import threading
import time
from concurrent import futures

import grpc
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from components.infra_validator.model_server import CRASH_AFTER_ENV, CRASH_EXIT_CODE, HANG_S_ENV
from components.infra_validator.tf_runtime import LEAN, Runtime

State = get_model_status_pb2.ModelVersionStatus.State
DEFAULT_SIGNATURE = "serving_default"


class ServedModel:
    """The one model version this server holds, and its TF Serving lifecycle state."""

    def __init__(self, name: str, runtime: Runtime):
        self.name, self.version, self.state = name, 0, State.START
        self.tf = runtime
        self.error = ""
        self.model = None
        self.predicts = 0
        self.lock = threading.Lock()

    def load(self, base_path: str) -> None:
        """LOADING -> AVAILABLE, or END with the error TF Serving would report."""
        self.state = State.LOADING
        try:
            self.version = _latest_version(base_path)
            self.model = self.tf.load(os.path.join(base_path, str(self.version)))
            self.state = State.AVAILABLE
        except Exception as err:  # Any load error means END, as in TF Serving.
            self.error = f"{type(err).__name__}: {err}"
            self.state = State.END


def _latest_version(base_path: str) -> int:
    versions = [int(d) for d in os.listdir(base_path) if d.isdigit()]
    if not versions:
        raise FileNotFoundError(f"no numeric version directory under {base_path}")
    return max(versions)


def _apply_test_hooks(served: ServedModel) -> None:
    """Crash or hang on purpose when a test asks for it through the environment."""
    with served.lock:
        served.predicts += 1
        count = served.predicts
    crash_after = os.environ.get(CRASH_AFTER_ENV)
    if crash_after is not None and count > int(crash_after):
        os._exit(CRASH_EXIT_CODE)
    if os.environ.get(HANG_S_ENV):
        time.sleep(float(os.environ[HANG_S_ENV]))


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    """GetModelStatus reporting the version's state like TF Serving does."""

    def __init__(self, served: ServedModel):
        self.served = served

    def GetModelStatus(self, request, context):
        if request.model_spec.name != self.served.name:
            context.abort(grpc.StatusCode.NOT_FOUND, f"model {request.model_spec.name} not served")
        status = get_model_status_pb2.ModelVersionStatus(
            version=self.served.version, state=self.served.state)
        if self.served.error:
            status.status.error_code = 3  # tensorflow.error.INVALID_ARGUMENT
            status.status.error_message = self.served.error
        return get_model_status_pb2.GetModelStatusResponse(model_version_status=[status])


class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
    """Predict through a named signature of the loaded SavedModel."""

    def __init__(self, served: ServedModel):
        self.served = served

    def Predict(self, request, context):
        _apply_test_hooks(self.served)
        served, spec = self.served, request.model_spec
        if spec.name != served.name or served.state != State.AVAILABLE:
            context.abort(grpc.StatusCode.NOT_FOUND, f"model {spec.name} is not available")
        signature_name = spec.signature_name or DEFAULT_SIGNATURE
        if signature_name not in served.model.signatures:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"no signature {signature_name}")
        outputs, error = _run_signature(
            served.tf, served.model.signatures[signature_name], request)
        if error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, error)
        response = predict_pb2.PredictResponse()
        response.model_spec.name, response.model_spec.signature_name = spec.name, signature_name
        response.model_spec.version.value = served.version
        wanted = set(request.output_filter) or set(outputs)
        for key in sorted(wanted & set(outputs)):
            response.outputs[key].CopyFrom(served.tf.make_tensor_proto(outputs[key].numpy()))
        return response


def _run_signature(tf: Runtime, function, request) -> tuple[dict, str]:
    """Call a signature with the request's tensors; the error text instead when it rejects them."""
    try:
        inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
        return function(**inputs), ""
    except (TypeError, ValueError, tf.op_error) as err:
        return {}, f"{type(err).__name__}: {err}"


def serve(runtime: Runtime, model_name: str, model_base_path: str, port: int,
          on_lean_load_failure=None) -> None:
    """Listen first (status reports LOADING), then load, then serve until killed.

    A load that fails under the LEAN runtime is handed to `on_lean_load_failure` (which
    restarts the server with full TensorFlow) before END is final: a model needing something
    only `import tensorflow` registers must not be refused for our import shortcut.
    """
    served = ServedModel(model_name, runtime)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
        PredictionService(served), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelService(served), server)
    if not server.add_insecure_port(f"127.0.0.1:{port}"):
        sys.exit(f"cannot bind port {port}")
    server.start()
    started = time.monotonic()
    served.load(model_base_path)
    print(f"model {model_name} v{served.version} state={State.Name(served.state)} "
          f"after {time.monotonic() - started:.2f} s ({runtime.mode} TensorFlow) {served.error}",
          flush=True)
    if served.state == State.END and runtime.mode == LEAN and on_lean_load_failure:
        server.stop(grace=None).wait()
        on_lean_load_failure(served.error)
    server.wait_for_termination()
