"""The UI's plain-Python readers of Evaluator output against TFMA's own reader, and a damaged
TFRecord refused with its file and offset."""
from __future__ import annotations

import glob
import os
import shutil

import pytest

from pipeline.lineage.api import Lineage
from pipeline.metadata import sqlite_spec
from pipeline.ui import evidence
from pipeline.ui.tfrecord import TFRecordError

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def evaluation_uri(first_run, penguin_home) -> str:
    lineage = Lineage.open(sqlite_spec(penguin_home.metadata_path), penguin_home)
    return lineage.trace("penguins@1").evaluation.evaluation_uri


def test_slice_metrics_match_tfmas_reader(evaluation_uri):
    import tensorflow_model_analysis as tfma

    expected = {}
    for record in tfma.load_metrics(evaluation_uri):
        name = evidence._slice_name(record.slice_key)
        expected[name] = {k.key.name: k.value.double_value.value
                          for k in record.metric_keys_and_values
                          if k.key.model_name in evidence.CANDIDATE_NAMES and not k.key.is_diff}
    found = evidence.slice_metrics(evaluation_uri)
    assert {s.slice: s.metrics for s in found} == expected
    assert found[0].slice == "Overall" and len(found) == 4  # Overall + three islands


def test_a_damaged_metrics_file_is_refused_naming_it(evaluation_uri, tmp_path):
    copy = str(tmp_path / "evaluation")
    shutil.copytree(evaluation_uri, copy)
    [metrics] = glob.glob(os.path.join(copy, "metrics-*"))
    with open(metrics, "r+b") as handle:
        handle.seek(20)
        byte = handle.read(1)
        handle.seek(20)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(TFRecordError, match=f"{metrics}: payload checksum mismatch at byte 0"):
        evidence.slice_metrics(copy)
