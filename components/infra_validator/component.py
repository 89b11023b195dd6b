"""LedgerInfraValidator: serve the candidate in a sandboxed model server and query it for real."""
from __future__ import annotations

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import infra_validator_pb2
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ExecutionParameter

from components.infra_validator import executor
from components.infra_validator.validation import ValidationSettings

TIMEOUT_S_KEY = "timeout_s"
NUM_REQUESTS_KEY = "num_requests"
FLOAT_TOLERANCE_KEY = "float_tolerance"
MEMORY_LIMIT_MB_KEY = "memory_limit_mb"
CPU_LIMIT_S_KEY = "cpu_limit_s"
DEFAULTS = ValidationSettings()


class LedgerInfraValidatorSpec(standard_component_specs.InfraValidatorSpec):
    """InfraValidatorSpec (model, examples -> blessing) plus primitive sandbox knobs."""

    PARAMETERS = {
        **standard_component_specs.InfraValidatorSpec.PARAMETERS,
        TIMEOUT_S_KEY: ExecutionParameter(type=int),
        NUM_REQUESTS_KEY: ExecutionParameter(type=int),
        FLOAT_TOLERANCE_KEY: ExecutionParameter(type=float),
        MEMORY_LIMIT_MB_KEY: ExecutionParameter(type=int),
        CPU_LIMIT_S_KEY: ExecutionParameter(type=int),
    }


class LedgerInfraValidator(base_component.BaseComponent):
    """Checks that the model loads in a model server and answers real examples correctly.

    In: `model` (Model, Format-Serving SavedModel) and optionally `examples` (Examples; the
    eval split's serialized tf.Examples are sent to `serving_default`). Without examples it
    only checks loading. Out: `blessing` (InfraBlessing) with custom properties blessed,
    reason, requests_sent, latency_p50_ms, latency_p99_ms, load_time_s, peak_rss_mb, and
    when blessed with examples, has_model=1 and a warm-up model at <uri>/stamped_model.
    The server runs as a separate process group (TF Serving's binary when on PATH, else
    `components.infra_validator.model_server`) under memory and CPU-time limits, and is
    killed on `timeout_s`. Not a subclass of InfraValidator, so KubeflowV2DagRunner compiles it.

    Example:
        infra_validator = LedgerInfraValidator(
            model=trainer.outputs["model"], examples=example_gen.outputs["examples"])
    """

    SPEC_CLASS = LedgerInfraValidatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: types.BaseChannel,
        examples: Optional[types.BaseChannel] = None,
        serving_spec: Optional[infra_validator_pb2.ServingSpec] = None,
        validation_spec: Optional[infra_validator_pb2.ValidationSpec] = None,
        request_spec: Optional[infra_validator_pb2.RequestSpec] = None,
        timeout_s: int = int(DEFAULTS.timeout_s),
        num_requests: Optional[int] = None,
        float_tolerance: float = DEFAULTS.float_tolerance,
        memory_limit_mb: int = DEFAULTS.memory_limit_mb,
        cpu_limit_s: int = DEFAULTS.cpu_limit_s,
    ):
        """num_requests defaults to request_spec.num_examples, else 20; other args see class doc."""
        if num_requests is None:
            num_requests = (request_spec.num_examples if request_spec else 0) or (
                DEFAULTS.num_requests)
        spec = LedgerInfraValidatorSpec(
            model=model,
            examples=examples,
            blessing=types.Channel(type=standard_artifacts.InfraBlessing),
            serving_spec=serving_spec or infra_validator_pb2.ServingSpec(
                model_name=DEFAULTS.model_name),
            validation_spec=validation_spec,
            request_spec=request_spec,
            timeout_s=timeout_s,
            num_requests=num_requests,
            float_tolerance=float_tolerance,
            memory_limit_mb=memory_limit_mb,
            cpu_limit_s=cpu_limit_s,
        )
        super().__init__(spec=spec)
