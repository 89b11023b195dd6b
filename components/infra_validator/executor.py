"""Executor of LedgerInfraValidator: validate in a sandboxed server, record the InfraBlessing."""
from __future__ import annotations

import os
from typing import Any, Dict, List

from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.proto import infra_validator_pb2
from tfx.types import artifact_utils
from tfx.types import standard_component_specs as keys
from tfx.utils import io_utils, path_utils, proto_utils

from components.infra_validator import validation, warmup

BLESSED_FILE, NOT_BLESSED_FILE = "INFRA_BLESSED", "INFRA_NOT_BLESSED"
DEFAULT_SPLIT = "eval"


class Executor(base_executor.BaseExecutor):
    """Serves `model`, queries it with `examples`, writes `blessing` (never blessed on failure)."""

    def Do(self, input_dict: Dict[str, List[types.Artifact]],
           output_dict: Dict[str, List[types.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        """Validate the model and record verdict, evidence and warm-up model on the blessing."""
        self._log_startup(input_dict, output_dict, exec_properties)
        model = artifact_utils.get_single_instance(input_dict[keys.MODEL_KEY])
        blessing = artifact_utils.get_single_instance(output_dict[keys.BLESSING_KEY])
        settings, split = settings_from(exec_properties)
        model_path = path_utils.serving_model_path(
            model.uri, path_utils.is_old_model_artifact(model))
        examples = input_dict.get(keys.EXAMPLES_KEY)
        pattern = examples_pattern(examples[0], split) if examples else None
        verdict = validation.validate(model_path, pattern, settings, self._work_root())
        if verdict.blessed and verdict.warmup:
            warmup.write_warmup_model(model_path, blessing.uri, verdict.warmup)
            blessing.set_int_custom_property(warmup.HAS_MODEL_KEY, 1)
        record_verdict(blessing, verdict)


    def _work_root(self) -> str | None:
        """The execution's temp dir in the pipeline root, when local; None means the system's.

        A validation killed with its process (kill -9 runs no `finally`) leaves its work dir
        there, with the execution it belongs to, for the next run's recovery to remove
        (pipeline/recovery.py); in /tmp nothing would.
        """
        try:
            tmp_dir = self._get_tmp_dir()
        except RuntimeError:  # no executor context: a direct call
            return None
        return None if "://" in tmp_dir else tmp_dir


def settings_from(exec_properties: Dict[str, Any]) -> tuple[validation.ValidationSettings, str]:
    """Settings from the primitive knobs and the stock protos' fields that apply here."""
    serving = _proto(exec_properties, keys.SERVING_SPEC_KEY, infra_validator_pb2.ServingSpec())
    loading = _proto(exec_properties, keys.VALIDATION_SPEC_KEY,
                     infra_validator_pb2.ValidationSpec())
    request = _proto(exec_properties, keys.REQUEST_SPEC_KEY, infra_validator_pb2.RequestSpec())
    signatures = request.tensorflow_serving.signature_names
    defaults = validation.ValidationSettings()
    settings = validation.ValidationSettings(
        model_name=serving.model_name or defaults.model_name,
        signature_name=signatures[0] if signatures else defaults.signature_name,
        max_loading_time_s=float(loading.max_loading_time_seconds),
        **{k: cast(exec_properties[k]) for k, cast in _KNOBS.items()
           if exec_properties.get(k) is not None},
    )
    return settings, request.split_name or DEFAULT_SPLIT


# Casts because KFP may hand numbers back as floats.
_KNOBS = {"timeout_s": float, "num_requests": int, "float_tolerance": float,
          "memory_limit_mb": int, "cpu_limit_s": int}


def _proto(exec_properties: Dict[str, Any], key: str, message):
    if exec_properties.get(key):
        proto_utils.json_to_proto(exec_properties[key], message)
    return message


def examples_pattern(examples: types.Artifact, split: str) -> str:
    """Gzipped TFRecord files of one split, in ExampleGen's layout."""
    return os.path.join(examples.uri, f"Split-{split}", "*.gz")


def record_verdict(blessing: types.Artifact, verdict: validation.Verdict) -> None:
    """Marker file as stock InfraValidator writes it, plus the evidence as custom properties."""
    marker = BLESSED_FILE if verdict.blessed else NOT_BLESSED_FILE
    io_utils.write_string_file(os.path.join(blessing.uri, marker), "")
    blessing.set_int_custom_property("blessed", int(verdict.blessed))
    if not verdict.blessed:
        blessing.set_string_custom_property("reason", verdict.reason)
    blessing.set_int_custom_property("requests_sent", verdict.requests_sent)
    for name in ("latency_p50_ms", "latency_p99_ms", "load_time_s", "peak_rss_mb"):
        blessing.set_float_custom_property(name, round(getattr(verdict, name), 3))
