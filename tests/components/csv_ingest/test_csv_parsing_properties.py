"""Property-based: generated CSVs parse to the typed rows written, or raise CsvInputError.

Generated files vary headers, types, quoting, delimiters, BOM, CRLF, blank lines and embedded
newlines; corrupted ones add undecodable bytes, UTF-16, NUL, ragged rows and huge fields. No
other exception may escape, and a line-level error names the file and the physical line.
"""
from __future__ import annotations

import csv
import io
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.csv_ingest.parsing import ColumnTypes, CsvInputError, open_text, read_rows

SOURCE = "gen.csv"
MISSING = ("", "NA")
EXAMPLES = 5000
NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_ -;,|\"'\t"
VALUE_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
CORRUPTIONS = (None, None, None, "bad_byte", "utf16", "nul", "ragged", "huge")
# Built once: a strategy built per draw is re-validated each time, most of the run's cost.
NAMES = st.lists(st.text(NAME_CHARS, min_size=1, max_size=8).map(str.strip).filter(bool),
                 min_size=2, max_size=5, unique=True)
NUMBER_CELLS = st.one_of(
    st.sampled_from(MISSING), st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.integers(-10**6, 10**6).map(lambda i: f" {i} "))
STRING_CELLS = st.text(VALUE_CHARS, max_size=8)
DELIMITERS = st.sampled_from([",", ";", "\t", "|"])
EXTRA = st.sampled_from(["", "unused~col"])
TERMINATORS = st.sampled_from(["\n", "\r\n"])
QUOTING = st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])
BLANK_AFTER = st.integers(0, 5)
BLANKS = st.sampled_from(["", "  "])
KINDS = st.sampled_from(CORRUPTIONS)


@st.composite
def tables(draw):
    """(ColumnTypes, header, rows of cell texts, expected typed rows or None, dialect options)."""
    names = draw(NAMES)
    split = draw(st.integers(1, len(names) - 1))
    numeric, strings = tuple(names[:split]), tuple(names[split:])
    extra = draw(EXTRA)
    header = list(names) + ([extra] if extra and extra not in names else [])
    header = draw(st.permutations(header))
    types = ColumnTypes(numeric=numeric, strings=strings, missing_values=MISSING,
                        label=strings[0], delimiter=draw(DELIMITERS))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        cells = {}
        for column in header:
            cells[column] = draw(NUMBER_CELLS if column in numeric else STRING_CELLS)
        rows.append(cells)
    return types, list(header), rows


def expected_rows(types: ColumnTypes, header: list[str], rows: list[dict]):
    """The typed rows the parser must return, or None when a file-level check must refuse."""
    kept = [r for r in rows if any(r[c].strip() for c in header)]  # blank records are skipped
    typed = []
    for cells in kept:
        row = {}
        for column in types.numeric:
            text = cells[column].strip()
            row[column] = None if text in MISSING else float(text)
        for column in types.strings:
            text = cells[column].strip()
            row[column] = None if text in MISSING else text
        typed.append(row)
    unlabelled = any(r[types.label] is None for r in typed)
    empty_column = any(all(r[c] is None for r in typed) for c in types.wanted)
    return None if not typed or unlabelled or empty_column else typed


def render(types, header, rows, data) -> str:
    """The CSV text, written one record at a time so blank lines go between records."""
    terminator = data.draw(TERMINATORS)
    quoting = data.draw(QUOTING)
    records = [header] + [[r[c] for c in header] for r in rows]
    out = io.StringIO()
    for index, record in enumerate(records):
        # Written with CRLF so a lone CR inside a value is quoted, then given the chosen ending.
        one = io.StringIO()
        csv.writer(one, delimiter=types.delimiter, quoting=quoting,
                   lineterminator="\r\n").writerow(record)
        out.write(one.getvalue()[:-2] + terminator)
        if index and data.draw(BLANK_AFTER) == 0:
            out.write(data.draw(BLANKS) + terminator)
    return ("\ufeff" if data.draw(st.booleans()) else "") + out.getvalue()


def parse(data: bytes, types: ColumnTypes):
    return list(read_rows(open_text(io.BytesIO(data), SOURCE), types, SOURCE))


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def corrupt(kind, text: str, types, header, data) -> tuple[bytes, int | None]:
    """Damaged bytes and the physical line the error must name (None: any line, or none)."""
    raw = text.encode("utf-8")
    header_end = raw.index(b"\n") + 1
    if kind == "utf16":
        return text.encode("utf-16"), 1
    if kind in ("bad_byte", "nul"):
        at = data.draw(st.integers(header_end, len(raw)))
        if kind == "nul":  # inside the line, before its line end, so csv sees it
            while at < len(raw) and raw[at:at + 1] in (b"\r", b"\n") and at > header_end:
                at -= 1
            if raw[at:at + 1] in (b"\r", b"\n") or at >= len(raw):
                return raw + b"x\x00y\n", _line_of(raw, len(raw))
            return raw[:at] + b"\x00" + raw[at:], _line_of(raw, at)
        return raw[:at] + b"\xff" + raw[at:], _line_of(raw, at)
    if kind == "huge":
        row = [("x" * 140_000 if c == types.label else "1") for c in header]
        out = io.StringIO()
        csv.writer(out, delimiter=types.delimiter).writerow(row)
        return raw + out.getvalue().encode(), _line_of(raw, len(raw))
    # ragged: a record cut short, as when a writer drops trailing cells
    keep = data.draw(st.integers(1, len(header) - 1))
    out = io.StringIO()
    csv.writer(out, delimiter=types.delimiter).writerow(["7"] * keep)
    return raw + out.getvalue().encode(), None


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(table=tables(), data=st.data())
def test_generated_csv_parses_to_its_rows_or_raises_the_ingestion_error(table, data):
    types, header, rows = table
    text = render(types, header, rows, data)
    kind = data.draw(KINDS)
    if kind is None:
        raw, line = text.encode("utf-8"), None
    else:
        raw, line = corrupt(kind, text, types, header, data)
    try:
        parsed = parse(raw, types)
    except CsvInputError as err:
        assert str(err).startswith(SOURCE) and err.source == SOURCE
        if line is not None:
            assert err.line == line, (kind, str(err))
        if kind is None:
            assert expected_rows(types, header, rows) is None, str(err)
        return
    assert kind in (None, "ragged"), f"{kind} was not refused"
    if kind is None:  # (a cut row that still holds every configured column is a row)
        assert parsed == expected_rows(types, header, rows)
        assert all(math.isfinite(v) for r in parsed for c, v in r.items()
                   if c in types.numeric and v is not None)
