"""Executor.Do() with real artifacts and real server processes: blessed, broken, crashed, hung."""
from __future__ import annotations

import os
import uuid

import psutil
import pytest
from google.protobuf import message
from tfx import types
from tfx.components.util import model_utils
from tfx.proto import infra_validator_pb2
from tfx.types import artifact_utils, standard_artifacts
from tfx.utils import proto_utils

from components.infra_validator import model_server
from components.infra_validator.component import LedgerInfraValidator
from components.infra_validator.executor import Executor

TAG_ENV = "LEDGER_IV_TEST_TAG"  # Inherited by the server: finds it even if orphaned.
PROPERTIES = ("blessed", "requests_sent", "latency_p50_ms", "latency_p99_ms", "load_time_s",
              "peak_rss_mb")


def _exec_properties(**kwargs) -> dict:
    """Exec properties exactly as the component records them, protos JSON-encoded."""
    component = LedgerInfraValidator(
        model=types.Channel(type=standard_artifacts.Model),
        examples=types.Channel(type=standard_artifacts.Examples), **kwargs)
    return {k: proto_utils.proto_to_json(v) if isinstance(v, message.Message) else v
            for k, v in component.exec_properties.items() if v is not None}


def _tagged_processes(tag: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(TAG_ENV) == tag and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _run(model_uri, examples_uri, tmp_path, monkeypatch, **kwargs) -> types.Artifact:
    """Run Do() once (examples_uri None: no examples input); then no server may be alive."""
    tag = uuid.uuid4().hex
    monkeypatch.setenv(TAG_ENV, tag)
    model = standard_artifacts.Model()
    model.uri = model_uri
    examples = standard_artifacts.Examples()
    examples.uri = examples_uri or ""
    examples.split_names = artifact_utils.encode_split_names(["train", "eval"])
    blessing = standard_artifacts.InfraBlessing()
    blessing.uri = str(tmp_path / "blessing")
    os.makedirs(blessing.uri)
    inputs = {"model": [model], "examples": [examples] if examples_uri else []}
    Executor().Do(inputs, {"blessing": [blessing]}, _exec_properties(**kwargs))
    assert _tagged_processes(tag) == []
    return blessing


def _props(blessing) -> dict:
    return {k: blessing.get_custom_property(k) for k in PROPERTIES}


def _assert_not_blessed(blessing, reason_prefix: str) -> str:
    reason = blessing.get_string_custom_property("reason")
    assert blessing.get_int_custom_property("blessed") == 0, reason
    assert reason.startswith(reason_prefix), reason
    assert os.path.exists(os.path.join(blessing.uri, "INFRA_NOT_BLESSED"))
    assert not os.path.exists(os.path.join(blessing.uri, "INFRA_BLESSED"))
    assert not os.path.exists(os.path.join(blessing.uri, "stamped_model"))
    assert blessing.get_int_custom_property("has_model") == 0
    return reason


def test_good_model_is_blessed_with_evidence_and_warmup_model(
        model_uris, examples_uri, tmp_path, monkeypatch):
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    blessing = _run(model_uris["good"], examples_uri, tmp_path, monkeypatch, num_requests=8)
    props = _props(blessing)
    assert props["blessed"] == 1 and model_utils.is_infra_validated(blessing)
    assert props["requests_sent"] == 8
    assert 0 < props["latency_p50_ms"] <= props["latency_p99_ms"]
    assert props["load_time_s"] > 0 and props["peak_rss_mb"] > 100
    assert not blessing.has_custom_property("reason")
    assert os.path.exists(os.path.join(blessing.uri, "INFRA_BLESSED"))
    assert blessing.get_int_custom_property("has_model") == 1
    stamped = os.path.join(blessing.uri, "stamped_model")
    records = list(tf.data.TFRecordDataset(
        os.path.join(stamped, "assets.extra", "tf_serving_warmup_requests")))
    logs = [prediction_log_pb2.PredictionLog.FromString(r.numpy()) for r in records]
    assert len(logs) == 8
    assert logs[0].predict_log.request.model_spec.signature_name == "serving_default"
    assert list(logs[0].predict_log.request.inputs) == ["examples"]
    assert "outputs" in logs[0].predict_log.response.outputs
    assert "serving_default" in tf.saved_model.load(stamped).signatures


@pytest.mark.parametrize("model, kwargs, prefix, words", [
    ("corrupt", {}, "model_load_failed: ", "Error parsing message"),
    ("float_input", {}, "signature_incompatible: ", "input 'inputs' is float32"),
    ("good", {"request_spec": infra_validator_pb2.RequestSpec(split_name="test")},
     "examples_unavailable: ", "Split-test/*.gz"),
    ("good", {"validation_spec": infra_validator_pb2.ValidationSpec(max_loading_time_seconds=1)},
     "timeout: model never became AVAILABLE within 1 s", ""),
    ("good", {"memory_limit_mb": 700}, "server_exited: exit code", "(memory limit 700 MB"),
    ("good", {"cpu_limit_s": 1}, "server_exited: killed by SIGXCPU (CPU limit 1 s)", "loading"),
])
def test_broken_model_or_sandbox_limit_is_not_blessed(
        model, kwargs, prefix, words, model_uris, examples_uri, tmp_path, monkeypatch):
    blessing = _run(model_uris[model], examples_uri, tmp_path, monkeypatch, **kwargs)
    assert words in _assert_not_blessed(blessing, prefix)
    assert blessing.get_int_custom_property("requests_sent") == 0


def test_without_examples_only_loading_is_checked(model_uris, tmp_path, monkeypatch):
    blessing = _run(model_uris["good"], None, tmp_path, monkeypatch)
    props = _props(blessing)
    assert props["blessed"] == 1 and props["load_time_s"] > 0
    assert props["requests_sent"] == 0 and props["latency_p99_ms"] == 0
    # No requests means no warm-up file, so Pusher must push the Model itself.
    assert blessing.get_int_custom_property("has_model") == 0
    assert not os.path.exists(os.path.join(blessing.uri, "stamped_model"))


def test_server_crash_mid_query_is_not_blessed(model_uris, examples_uri, tmp_path, monkeypatch):
    monkeypatch.setenv(model_server.CRASH_AFTER_ENV, "3")
    blessing = _run(model_uris["good"], examples_uri, tmp_path, monkeypatch)
    exit_code = model_server.CRASH_EXIT_CODE
    reason = _assert_not_blessed(blessing, f"server_exited: exit code {exit_code}")
    assert "request 4 of 20" in reason
    assert blessing.get_int_custom_property("requests_sent") == 4
    assert blessing.get_float_custom_property("load_time_s") > 0


def test_server_hanging_past_timeout_is_killed_and_not_blessed(
        model_uris, examples_uri, tmp_path, monkeypatch):
    monkeypatch.setenv(model_server.HANG_S_ENV, "600")
    blessing = _run(model_uris["good"], examples_uri, tmp_path, monkeypatch, timeout_s=45)
    reason = _assert_not_blessed(blessing, "timeout: ")
    # One request went out and never came back: the hang was mid-query, not at load.
    assert "Predict DEADLINE_EXCEEDED" in reason and "45 s" in reason, reason
    assert blessing.get_int_custom_property("requests_sent") == 1
