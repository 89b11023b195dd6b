"""The compiled penguins spec run by the KFP v2 backend's protocol on MariaDB-backed MLMD."""
from __future__ import annotations

import json
import os
import shlex

import yaml
from ml_metadata.proto import metadata_store_pb2 as mlmd_pb

from pipeline.digest import sha256_file
from pipeline.metadata import open_store
from tests.kubeflow.local_backend.conftest import PENGUINS_DIR, ledger, run_id_of

# The documented commands (docs/kubeflow.md), run verbatim in the directory holding the spec.
RUN2_COMMAND = """ledger kfp-run pipeline.yaml --metadata-mysql-config mysql.json --parallel 2 --param 'train_args={"num_steps": 250}'"""  # noqa: E501
RETRY_COMMAND = """ledger kfp-run pipeline.yaml --metadata-mysql-config mysql.json --run-id "$RUN_ID" --task ModelApproval"""  # noqa: E501


def _executions(metadata, run_id):
    store = open_store(metadata)
    context = store.get_context_by_type_and_name("system.PipelineRun", run_id)
    return store, store.get_executions_by_context(context.id)


def _task(execution):
    return execution.custom_properties["task_name"].string_value


def _versions(metadata):
    store = open_store(metadata)
    return sorted((a.properties["version"].int_value, a.properties["pipeline_run"].string_value)
                  for a in store.get_artifacts_by_type("ModelVersion"))


def test_run1_every_task_complete_in_mlmd(kfp_run1, kfp_setup):
    store, executions = _executions(kfp_setup.metadata, kfp_run1.run_id)
    states = {_task(e): mlmd_pb.Execution.State.Name(e.last_known_state) for e in executions}
    assert len(states) == 14 and set(states.values()) == {"COMPLETE"}, states
    trainer = next(e for e in executions if _task(e) == "LedgerTrainer")
    events = store.get_events_by_execution_ids([trainer.id])
    inputs = {e.path.steps[0].key for e in events if e.type == mlmd_pb.Event.INPUT}
    assert inputs == {"examples", "transform_graph", "schema", "dataset_version"}
    [model] = [e for e in events if e.type == mlmd_pb.Event.OUTPUT
               and e.path.steps[0].key == "model"]
    [artifact] = store.get_artifacts_by_id([model.artifact_id])
    assert artifact.uri == os.path.join(kfp_setup.pipeline_root, "ledger-penguins",
                                        kfp_run1.run_id, "LedgerTrainer", "model")
    assert store.get_artifact_types_by_id([artifact.type_id])[0].name == "tfx.Model"


def test_run1_pushed_version_1_with_its_run_id(kfp_run1, kfp_setup):
    assert os.path.isdir(os.path.join(kfp_setup.serving_root, "penguins", "1"))
    assert _versions(kfp_setup.metadata)[0] == (1, kfp_run1.run_id)


def test_every_executor_input_parses_strictly_and_matches_tfx_test_vector(kfp_run1):
    from google.protobuf import json_format
    from kfp.pipeline_spec import pipeline_spec_pb2

    documents = {name: r.executor_input for name, r in kfp_run1.results.items()
                 if r.executor_input}
    assert len(documents) == 11
    for document in documents.values():
        json_format.ParseDict(document, pipeline_spec_pb2.ExecutorInput())
    vector_path = os.path.join(os.path.dirname(pipeline_spec_pb2.__file__), os.pardir,
                               os.pardir, "tfx", "orchestration", "kubeflow", "v2", "container",
                               "testdata", "executor_invocation.json")
    with open(os.path.normpath(vector_path)) as handle:
        vector = json.load(handle)
    # The same layout: typed input artifacts with name, uri and metadata; typed output artifacts
    # with name and uri; one output file.
    mine = _layout(documents["SchemaGen"])
    theirs = _layout(vector)
    assert mine["input_artifact"] >= theirs["input_artifact"] - {"createTimeSinceEpoch"}
    assert mine["output_artifact"] == theirs["output_artifact"]
    assert mine["type"] == theirs["type"] == {"instanceSchema"}
    assert mine["outputs"] == theirs["outputs"] == {"artifacts", "outputFile"}
    statistics = documents["SchemaGen"]["inputs"]["artifacts"]["statistics"]["artifacts"][0]
    assert statistics["type"]["instanceSchema"].startswith("title: tfx.ExampleStatistics")
    assert statistics["name"].isdigit() and statistics["metadata"]["split_names"]


def _layout(document: dict) -> dict:
    inputs = next(iter(document["inputs"]["artifacts"].values()))["artifacts"][0]
    outputs = next(iter(document["outputs"]["artifacts"].values()))["artifacts"][0]
    return {"input_artifact": set(inputs), "output_artifact": set(outputs) - {"metadata"},
            "type": set(inputs["type"]), "outputs": set(document["outputs"]) - {"parameters"}}


def verify(kfp_setup, pushed: int) -> dict:
    """`ledger verify` on the MySQL store with the allowed signers the pods' keys are listed in:
    OK (exit 0), every record signed by the mounted service key, every push by the model key."""
    result = ledger("--metadata", json.dumps(kfp_setup.metadata), "--allowed-signers",
                    kfp_setup.allowed_signers, "verify", "--json", cwd=kfp_setup.work_dir)
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["status"] == "verified", result
    assert report["problems"] == [] and report["records_checked"] >= 3 * pushed
    assert report["verified"] == report["records_checked"]
    assert [p["status"] for p in report["pushed"]] == ["signed"] * pushed
    return report


def test_pods_sign_with_the_mounted_keys_the_spec_names(kfp_run1, kfp_setup):
    verify(kfp_setup, pushed=1)
    with open(kfp_setup.spec_path, encoding="utf-8") as handle:
        text = handle.read()
    assert "PRIVATE KEY" not in text  # the spec names the mounted files, never their content
    secrets = os.path.dirname(kfp_setup.allowed_signers)
    tasks = yaml.safe_load(text)["root"]["dag"]["tasks"]
    for task in ("ModelApproval", "VersionedPusher"):
        constant = tasks[task]["inputs"]["parameters"]["settings"]["runtimeValue"]["constant"]
        settings = json.loads(constant)
        assert (settings["service_key_path"], settings["allowed_signers_path"]) == (
            os.path.join(secrets, "service_ed25519"), kfp_setup.allowed_signers)
        assert settings["service_key_managed"] is True


def test_verify_and_trace_work_on_the_mysql_store(kfp_run1, kfp_setup):
    spec = json.dumps(kfp_setup.metadata)
    unlisted = ledger("--metadata", spec, "verify", cwd=kfp_setup.work_dir,
                      env=dict(os.environ, LEDGER_HOME=kfp_setup.home))
    assert unlisted.returncode == 2  # signed by keys this home's allowed signers do not list
    trace = ledger("--metadata", spec, "trace", "penguins@1", "--json", cwd=kfp_setup.work_dir)
    assert trace.returncode == 0, trace.stderr
    assert sha256_file(os.path.join(PENGUINS_DIR, "penguins.csv")) in trace.stdout


def test_dataset_version_id_equals_the_local_runs(kfp_run1, kfp_setup, first_run, penguin_home):
    from pipeline.metadata import sqlite_spec

    def ids(store):
        return {a.custom_properties["dataset_version_id"].string_value
                or a.properties["dataset_version_id"].string_value
                for t in ("DatasetVersion", "ledger_types.DatasetVersion")
                if any(x.name == t for x in store.get_artifact_types())
                for a in store.get_artifacts_by_type(t)}

    kubeflow_ids = ids(open_store(kfp_setup.metadata))
    assert len(kubeflow_ids) == 1 and kubeflow_ids <= ids(
        open_store(sqlite_spec(penguin_home.metadata_path)))


def test_run2_gives_version_2_and_a_task_rerun_no_version_3(kfp_run2, kfp_setup):
    assert kfp_run2.returncode == 0, kfp_run2.stderr[-3000:]
    run2 = run_id_of(kfp_run2.stdout)
    assert "CACHED" in kfp_run2.stdout  # unchanged inputs: the backend's cache, no rerun
    assert [v for v, _ in _versions(kfp_setup.metadata)] == [1, 2]
    assert _versions(kfp_setup.metadata)[1][1] == run2
    env = dict(os.environ, LEDGER_HOME=kfp_setup.home)
    retry = ledger(*shlex.split(RETRY_COMMAND.replace('"$RUN_ID"', run2))[1:],
                   cwd=kfp_setup.work_dir, env=env)
    assert retry.returncode == 0, retry.stderr[-3000:]
    assert [v for v, _ in _versions(kfp_setup.metadata)] == [1, 2]
    _, executions = _executions(kfp_setup.metadata, run2)
    approvals = [e for e in executions if _task(e) == "ModelApproval"]
    assert [e.last_known_state for e in approvals] == [mlmd_pb.Execution.COMPLETE] * 2
    verify(kfp_setup, pushed=2)


def test_documented_run2_command_is_the_one_run(kfp_run2):
    assert shlex.split(RUN2_COMMAND)[1:] == kfp_run2.args[3:]
