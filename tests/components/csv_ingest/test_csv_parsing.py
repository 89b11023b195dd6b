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


def test_utf8_bom_is_stripped_from_the_first_column_name():
    data = io.BytesIO("\ufeffkind,mass\na,1\n".encode())
    assert list(read_rows(open_text(data, "f.csv"), TYPES, "f.csv")) == [{"mass": 1.0, "kind": "a"}]


def test_utf16_file_is_named_as_such():
    data = io.BytesIO("kind,mass\na,1\n".encode("utf-16"))
    with pytest.raises(CsvInputError, match="f.csv:1: the file is UTF-16 text; save it as UTF-8"):
        list(read_rows(open_text(data, "f.csv"), TYPES, "f.csv"))


def test_configured_delimiter_is_used():
    semicolons = ColumnTypes(numeric=("mass",), strings=("kind",), delimiter=";")
    assert _rows('kind;mass\n"a;b";1,5\n'.replace("1,5", "1.5"), semicolons) == [
        {"mass": 1.5, "kind": "a;b"}]


def test_header_mismatch_names_the_delimiter_the_file_appears_to_use():
    with pytest.raises(CsvInputError) as err:
        _rows("kind;mass\na;1\n")
    message = str(err.value)
    assert "missing from the CSV header: mass, kind" in message
    assert "appears to be ';' (semicolon)-delimited, not ',' (comma)" in message
    assert 'set `delimiter: ";"` in the dataset config' in message
    tabs = ColumnTypes(numeric=("mass",), strings=("kind",), delimiter=";")
    with pytest.raises(CsvInputError, match=r"'\\t' \(tab\)-delimited.*delimiter: \"\\t\""):
        _rows("kind\tmass\na\t1\n", tabs)


def test_unrelated_header_does_not_blame_the_delimiter():
    with pytest.raises(CsvInputError) as err:
        _rows("kind,weight\na,1\n")
    assert "delimited" not in str(err.value)


def test_quoted_fields_hold_delimiters_newlines_and_crlf():
    text = 'kind,mass\r\n"two\r\nlines, and a comma",1\r\n"say ""hi""",2\r\nc,3\r\n'
    assert _rows(text) == [{"mass": 1.0, "kind": "two\r\nlines, and a comma"},
                           {"mass": 2.0, "kind": 'say "hi"'}, {"mass": 3.0, "kind": "c"}]


def test_error_after_a_multiline_record_names_the_record_first_line():
    with pytest.raises(CsvInputError, match=r"f.csv:4: column 'mass'") as err:
        _rows('kind,mass\n"a\nb",1\nc,heavy\n')
    assert err.value.line == 4 and err.value.source == "f.csv"


def test_column_names_replace_an_unusable_header():
    named = ColumnTypes(numeric=("mass",), strings=("kind",),
                        column_names=("mass", "width", "kind"))
    assert _rows("150,4,setosa\n1.5,2,0\n", named) == [{"mass": 1.5, "kind": "0"}]
    headless = ColumnTypes(numeric=("mass",), strings=("kind",), column_names=("kind", "mass"),
                           has_header=False)
    assert _rows("a,1\nb,2\n", headless) == [{"mass": 1.0, "kind": "a"},
                                             {"mass": 2.0, "kind": "b"}]
    assert ColumnTypes.from_dict(headless.to_dict()) == headless
