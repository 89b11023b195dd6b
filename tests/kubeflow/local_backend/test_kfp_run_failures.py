"""A failing task, the open-source backend's refusal, and MLMD on MySQL that cannot be reached."""
from __future__ import annotations

import json
import os

import pytest
from ml_metadata.proto import metadata_store_pb2 as mlmd_pb

from kubeflow.local_backend import runner, spec
from kubeflow.local_backend.connection import MetadataConnectionError
from pipeline.metadata import open_store
from tests.kubeflow.local_backend.conftest import ledger, run_id_of
from tests.support.mariadb import free_port


def test_failing_task_stops_the_run_naming_task_and_cause(kfp_failing_run, kfp_setup):
    result = kfp_failing_run.finish()
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: task TypedCsvExampleGen failed: executor exited 1: ")
    assert (f"CsvInputError: no input file matches {kfp_failing_run.data_root}/penguins.csv"
            in error)
    run_id = run_id_of(result.stdout)
    store = open_store(kfp_setup.metadata)
    context = store.get_context_by_type_and_name("system.PipelineRun", run_id)
    states = {e.custom_properties["task_name"].string_value: e.last_known_state
              for e in store.get_executions_by_context(context.id)}
    assert states["TypedCsvExampleGen"] == mlmd_pb.Execution.FAILED
    assert "StatisticsGen" not in states and "VersionedPusher" not in states
    assert context.custom_properties["state"].string_value == "FAILED"
    # Nothing pushed or registered from it (run 1 pushes into the same serving root meanwhile).
    runs = [a.properties["pipeline_run"].string_value
            for a in store.get_artifacts_by_type("ModelVersion")]
    assert run_id not in runs
    assert os.listdir(os.path.join(kfp_failing_run.pipeline_root, "ledger-penguins",
                                   run_id)) == ["TypedCsvExampleGen"]


def test_open_source_mode_is_refused_with_the_reason(kfp_setup):
    result = ledger("kfp-run", kfp_setup.spec_path, "--metadata-mysql-config",
                    kfp_setup.mysql_config, "--mode", "open-source", cwd=kfp_setup.work_dir)
    assert result.returncode == 1
    assert "resolver executors not implemented" in result.stderr
    assert "latest_blessed_model_resolver-model-resolver" in result.stderr


def test_collapsed_input_types_break_tfx_entrypoint(kfp_run1):
    """Why open-source mode cannot run TFX 1.16's entrypoint unpatched: inputs arrive untyped."""
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2
    from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_entrypoint_utils as utils

    document = json.loads(json.dumps(kfp_run1.results["SchemaGen"].executor_input))
    for listed in document["inputs"]["artifacts"].values():
        for artifact in listed["artifacts"]:
            artifact.pop("type")  # what the open-source driver sends
    executor_input = json_format.ParseDict(document, pipeline_spec_pb2.ExecutorInput())
    with pytest.raises(UnboundLocalError, match="title"):
        utils.parse_raw_artifact_dict(executor_input.inputs.artifacts)


@pytest.mark.parametrize("problem", ["wrong password", "closed port"])
def test_mysql_unreachable_or_refused_is_one_clear_error(kfp_setup, problem, monkeypatch):
    mysql = dict(kfp_setup.metadata["mysql"])
    if problem == "wrong password":
        monkeypatch.setenv("LEDGER_KFP_WRONG_PW", "not-the-password")
        mysql["password_env"] = "LEDGER_KFP_WRONG_PW"
    else:
        mysql["port"] = free_port()
    options = runner.RunOptions(pipeline_root="/nonexistent", metadata={"mysql": mysql})
    with pytest.raises(MetadataConnectionError) as caught:
        runner.run_pipeline(spec.load(kfp_setup.spec_path), options)
    message = str(caught.value)
    assert f"MySQL at 127.0.0.1:{mysql['port']}" in message and "\n" not in message
    assert "not-the-password" not in message
