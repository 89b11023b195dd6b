"""Rows written as Example bytes directly equal TensorFlow's deterministic serialization."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.csv_ingest.examples import encode_example
from components.csv_ingest.parsing import ColumnTypes, CsvInputError, open_text, read_rows

NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
VALUES = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32),
                   st.text(st.characters(blacklist_categories=("Cs",)), max_size=300))


def _tensorflow_bytes(row: dict) -> bytes:
    import tensorflow as tf

    features = {}
    for name, value in row.items():
        if value is None:
            continue
        if isinstance(value, float):
            features[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
        else:
            features[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
    example = tf.train.Example(features=tf.train.Features(feature=features))
    return example.SerializeToString(deterministic=True)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(NAMES, VALUES, max_size=8))
def test_bytes_equal_tensorflows_deterministic_serialization(row):
    assert encode_example(row) == _tensorflow_bytes(row)


def test_empty_row_and_long_value():
    assert encode_example({}) == _tensorflow_bytes({}) == b"\n\x00"
    row = {"note": "x" * 70_000, "mass": -0.0}  # multi-byte lengths
    assert encode_example(row) == _tensorflow_bytes(row)


def test_number_beyond_float32_is_refused_naming_line():
    types = ColumnTypes(numeric=("mass",), strings=("kind",))
    data = io.BytesIO(b"kind,mass\na,1\nb,1e39\n")
    with pytest.raises(CsvInputError, match=r"f.csv:3: column 'mass' holds '1e39', beyond the "
                                            r"float32 range"):
        list(read_rows(open_text(data, "f.csv"), types, "f.csv"))
