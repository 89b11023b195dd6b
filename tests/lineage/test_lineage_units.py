"""Pure functions of the lineage package: time parsing, DOT escaping, property decoding."""

from __future__ import annotations

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.lineage import LineageError, LineageGraph, Node
from pipeline.lineage.dot import graph_dot
from pipeline.lineage.nodes import artifact_node, short_type
from pipeline.lineage.timeline import format_time, parse_time


@pytest.mark.parametrize("text, expected", [
    ("2026-11-22T05:30:00Z", "2026-11-22T05:30:00.000000Z"),
    ("2026-11-22T05:30:00", "2026-11-22T05:30:00.000000Z"),
    ("2026-11-22T06:30:00+01:00", "2026-11-22T05:30:00.000000Z"),
    ("2026-11-22", "2026-11-22T00:00:00.000000Z"),
    ("2026-11-22T05:30:00.123456Z", "2026-11-22T05:30:00.123456Z"),
])
def test_times_are_read_as_utc(text, expected):
    assert format_time(parse_time(text)) == expected


def test_an_unreadable_time_is_refused():
    with pytest.raises(LineageError, match="ISO-8601"):
        parse_time("next week")


def test_both_artifact_dialects_read_the_same():
    local = pb.Artifact(id=1, type="RawData", uri="/d/penguins")
    local.properties["sha256"].string_value = "ab" * 32
    kubeflow = pb.Artifact(id=2, type="ledger_types.RawData", uri="/d/penguins")
    kubeflow.custom_properties["sha256"].string_value = "ab" * 32
    kubeflow.custom_properties["files"].string_value = '[{"name": "a.csv"}]'
    a, b = artifact_node(local), artifact_node(kubeflow)
    assert a.type == b.type == "RawData" and a.facts["sha256"] == b.facts["sha256"]
    assert b.facts["files"] == [{"name": "a.csv"}]
    assert short_type("tfx.components.evaluator.component.Evaluator") == "Evaluator"


def test_dot_escapes_quotes_and_newlines():
    node = Node(key="artifact:1", id=1, kind="artifact", type="Model", name='a"b', uri="",
                label='say "hi"\nthere', state="LIVE")
    source = graph_dot(LineageGraph([node], []), title='t"')
    assert 'label="say \\"hi\\"\\nthere' in source and 'label="t\\""' in source
