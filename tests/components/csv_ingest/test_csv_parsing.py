"""Typed CSV parsing: values by declared type, and errors that name file, line and column."""
from __future__ import annotations

import io

import pytest

from components.csv_ingest.parsing import ColumnTypes, CsvInputError, open_text, read_rows, scan

TYPES = ColumnTypes(numeric=("mass",), strings=("kind",), missing_values=("NA", ""))


def _rows(text: str, types=TYPES):
    return list(read_rows(open_text(io.BytesIO(text.encode()), "f.csv"), types, "f.csv"))


def test_values_are_typed_and_missing_tokens_become_none():
    rows = _rows("kind,mass,extra\na,1.5,zz\nb,NA,zz\n,3,zz\n")
    assert rows == [{"mass": 1.5, "kind": "a"}, {"mass": None, "kind": "b"},
                    {"mass": 3.0, "kind": None}]


def test_quoted_field_with_comma_and_blank_lines():
    assert _rows('kind,mass\n"a, b",2\n\n') == [{"mass": 2.0, "kind": "a, b"}]


def test_missing_column_is_named():
    with pytest.raises(CsvInputError, match="missing from the CSV header: mass"):
        _rows("kind,weight\na,1\n")


def test_text_in_numeric_column_names_column_and_line():
    with pytest.raises(CsvInputError, match=r"f.csv:3: column 'mass' is numeric .* 'heavy'"):
        _rows("kind,mass\na,1\nb,heavy\n")


def test_empty_file_and_short_row():
    with pytest.raises(CsvInputError, match="empty"):
        _rows("")
    with pytest.raises(CsvInputError, match="f.csv:2: row has 1 cells"):
        _rows("kind,mass\na\n")


def test_non_utf8_bytes_are_named():
    data = io.BytesIO(b"kind,mass\n\xff\xfe,1\n")
    with pytest.raises(CsvInputError, match="f.csv:2: not UTF-8"):
        list(read_rows(open_text(data, "f.csv"), TYPES, "f.csv"))


def test_column_types_round_trip():
    assert ColumnTypes.from_dict(TYPES.to_dict()) == TYPES


def test_label_round_trips_and_is_omitted_when_unset():
    labelled = ColumnTypes(numeric=("mass",), strings=("kind",), label="kind")
    assert ColumnTypes.from_dict(labelled.to_dict()) == labelled
    assert "label" not in TYPES.to_dict()  # configs without a label serialize as before


def test_empty_label_is_refused_but_other_missing_strings_are_kept():
    labelled = ColumnTypes(numeric=("mass",), strings=("kind", "sex"), label="kind",
                           missing_values=("NA", ""))
    assert _rows("kind,mass,sex\na,1,NA\nb,2,f\n", labelled)[0] == {
        "mass": 1.0, "kind": "a", "sex": None}
    with pytest.raises(CsvInputError, match=r"'kind' is empty on 1 row\(s\), line\(s\) 3"):
        _rows("kind,mass,sex\na,1,m\nNA,2,f\n", labelled)


def test_scan_counts_rows_and_checks_the_whole_file():
    assert scan(open_text(io.BytesIO(b"kind,mass\na,1\nb,2\n"), "f.csv"), TYPES, "f.csv") == 2
    with pytest.raises(CsvInputError, match="mass hold no value in any of the 2 rows"):
        scan(open_text(io.BytesIO(b"kind,mass\na,NA\nb,\n"), "f.csv"), TYPES, "f.csv")


def test_label_check_names_at_most_ten_lines():
    labelled = ColumnTypes(numeric=("mass",), strings=("kind", "island"), label="kind")
    data = b"kind,mass,island\n" + b",1,Dream\n" * 12 + b"adelie,2,Dream\n"
    with pytest.raises(CsvInputError, match=r"on 12 row\(s\), line\(s\) 2, 3, .*, 11, \.\.\.:"):
        _rows(data.decode(), labelled)
