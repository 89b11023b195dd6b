"""The bundled-data pipeline end to end, checked in MLMD (one shared run and a cached rerun)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ml_metadata.proto import metadata_store_pb2

from pipeline.metadata import open_store, sqlite_spec

pytestmark = pytest.mark.pipeline

EXPECTED_NODES = {"TypedCsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator",
                  "Transform", "LedgerTrainer", "Evaluator"}


def _store(paths):
    return open_store(sqlite_spec(paths.metadata_path))


def _node_executions(store, execution_ids):
    """{node id: execution} for the given execution ids (node id from the execution's contexts)."""
    by_node = {}
    for execution in store.get_executions_by_id(sorted(execution_ids)):
        for context in store.get_contexts_by_execution(execution.id):
            if context.type == "node":
                by_node[context.name.split(".")[-1]] = execution
    return by_node


def test_every_component_completes(first_run, penguin_home):
    store = _store(penguin_home)
    nodes = _node_executions(store, first_run.executions_added)
    assert EXPECTED_NODES <= set(nodes), sorted(nodes)
    for name, execution in nodes.items():
        assert execution.last_known_state == metadata_store_pb2.Execution.COMPLETE, name


def test_evaluator_blesses_the_model(first_run, penguin_home):
    blessings = [a for a in _store(penguin_home).get_artifacts_by_type("ModelBlessing")
                 if a.custom_properties["blessed"].int_value == 1]
    assert blessings, "no ModelBlessing with blessed=1"
    assert first_run.summary.accuracy is not None and first_run.summary.accuracy > 0.9


CLASSIFY = r"""
import glob, json, sys
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
serve = model.signatures["serving_default"]
records = list(tf.data.TFRecordDataset(glob.glob(sys.argv[2] + "/Split-eval/*.gz"),
                                       compression_type="GZIP"))
right = 0
for record in records:
    example = tf.train.Example.FromString(record.numpy())
    label = example.features.feature["species"].bytes_list.value[0]
    predicted = serve(examples=tf.constant([record.numpy()]))["classes"].numpy()[0]
    right += int(predicted == label)
print(json.dumps({"n": len(records), "accuracy": right / len(records)}))
"""


def test_pushed_model_classifies_eval_split_in_fresh_process(first_run, penguin_home):
    pushed = first_run.summary.pushed_model
    assert pushed and os.path.isdir(pushed)
    examples = min((a for a in _store(penguin_home).get_artifacts_by_type("Examples")
                    if "/ledger-penguins/TypedCsvExampleGen/" in a.uri), key=lambda a: a.id)
    out = subprocess.run([sys.executable, "-c", CLASSIFY, pushed, examples.uri],
                         capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["n"] > 50
    assert result["accuracy"] > 0.9


def test_cached_rerun_trains_nothing_and_pushes_nothing_new(first_run, cached_run, penguin_home):
    store = _store(penguin_home)
    new = cached_run.executions_added
    nodes = _node_executions(store, new)
    assert nodes["LedgerTrainer"].last_known_state == metadata_store_pb2.Execution.CACHED
    assert nodes["Transform"].last_known_state == metadata_store_pb2.Execution.CACHED
    # Whatever else the shared store holds by now, this run's pusher pushed nothing.
    pusher = nodes["VersionedPusher"]
    outputs = [e.artifact_id for e in store.get_events_by_execution_ids([pusher.id])
               if e.type == metadata_store_pb2.Event.OUTPUT]
    pushed = store.get_artifacts_by_id(outputs)
    assert [a.custom_properties["pushed"].int_value for a in pushed] in ([0], [])
    registered = {e.id for e in store.get_executions() if e.id in new
                  and store.get_execution_types_by_id([e.type_id])[0].name == "StageTransition"}
    assert registered == set()  # no version registered, approved or deployed
    assert cached_run.summary.pushed_model == first_run.summary.pushed_model


def test_an_unchanged_rerun_is_reused_without_starting_tfx(cached_run):
    rerun = cached_run.unchanged_rerun
    assert rerun.summary.reused_from.endswith("Z")
    assert rerun.executions_added == set()  # nothing executed, nothing recorded as CACHED
    for field in ("pushed_model", "decision", "accuracy", "pipeline_root"):
        assert getattr(rerun.summary, field) == getattr(cached_run.summary, field)
    assert cached_run.summary.reused_from == ""  # the TFX rerun before it really ran
