"""Bad CSV inputs at the parsing level: refused naming the problem, or handled as documented."""
from __future__ import annotations

import io

import pytest

from components.csv_ingest.parsing import (
    MAX_LINE_BYTES,
    ColumnTypes,
    CsvInputError,
    open_text,
    read_rows,
    scan,
)

TYPES = ColumnTypes(numeric=("mass",), strings=("kind", "island"), missing_values=("NA", ""),
                    label="kind")
GOOD = b"kind,mass,island\nadelie,3750,Biscoe\ngentoo,5000,Dream\n"

# kind -> (CSV bytes, pattern the error must match: file, line and the offending column or value)
REFUSED = {
    "empty file": (b"", r"f\.csv: the file is empty"),
    "header only": (b"kind,mass,island\n", r"f\.csv: the file has a header but no data rows"),
    "missing column": (b"kind,island\nadelie,Biscoe\n",
                       r"missing from the CSV header: mass \(header has: kind, island\)"),
    "text in numeric column": (GOOD + b"adelie,heavy,Dream\n",
                               r"f\.csv:4: column 'mass' is numeric .* 'heavy'$"),
    "NaN literal in numeric column": (GOOD + b"adelie,NaN,Dream\n",
                                      r"f\.csv:4: column 'mass' .* 'NaN' \(not a finite number"),
    "all-missing numeric column": (b"kind,mass,island\nadelie,NA,Biscoe\ngentoo,,Dream\n",
                                   r"column\(s\) mass hold no value in any of the 2 rows"),
    "label missing": (GOOD + b",4100,Dream\ngentoo,4200,Biscoe\nNA,3900,Dream\n",
                      r"label column 'kind' is empty on 2 row\(s\), line\(s\) 4, 6:"),
    "non-UTF-8 bytes": (GOOD + b"ad\xe9lie,3900,Dream\n", r"f\.csv:4: not UTF-8 text"),
    "huge line (50 MB)": (GOOD + b"a" * (50 << 20) + b"\n",
                          rf"f\.csv:4: line is {(50 << 20) + 1} bytes, over the "
                          rf"{MAX_LINE_BYTES}-byte limit"),
    "duplicate header column": (b"kind,mass,mass,island\nadelie,1,2,Biscoe\n",
                                r"column\(s\) mass appear twice in the header"),
    "short row": (GOOD + b"adelie\n", r"f\.csv:4: row has 1 cells, fewer than the header"),
}


def _parse(data: bytes) -> list[dict]:
    return list(read_rows(open_text(io.BytesIO(data), "f.csv"), TYPES, "f.csv"))


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_bad_input_is_refused_naming_the_problem(kind, outcome):
    data, pattern = REFUSED[kind]
    with pytest.raises(CsvInputError, match=pattern) as refused:
        scan(open_text(io.BytesIO(data), "f.csv"), TYPES, "f.csv")
    outcome(detail=str(refused.value)[:90])


def test_extra_columns_are_ignored_and_no_row_is_lost(outcome):
    data = b"id,kind,mass,notes,island\n1,adelie,3750,big,Biscoe\n2,gentoo,5000,,Dream\n"
    rows = _parse(data)
    assert rows == [{"mass": 3750.0, "kind": "adelie", "island": "Biscoe"},
                    {"mass": 5000.0, "kind": "gentoo", "island": "Dream"}]
    outcome(lost=2 - len(rows), detail="extra columns dropped, rows kept")


def test_new_category_is_kept_verbatim_for_the_oov_bucket(outcome):
    """Parsing never maps categories: an unseen one reaches Transform's out-of-vocabulary bucket."""
    rows = _parse(GOOD + b"chinstrap,3700,Atlantis\n")
    assert rows[-1] == {"mass": 3700.0, "kind": "chinstrap", "island": "Atlantis"}
    outcome(lost=3 - len(rows), detail="parsed verbatim; OOV bucket at serving")


def test_missing_features_stay_missing_for_imputation(outcome):
    """A missing feature (not the label) is kept as None; Transform imputes it."""
    rows = _parse(GOOD + b"adelie,NA,\n")
    assert rows[-1] == {"mass": None, "kind": "adelie", "island": None}
    outcome(lost=3 - len(rows), detail="None, imputed by Transform")
