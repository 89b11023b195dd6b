"""Parses CSV rows by declared column types; every failure names the file, line and column."""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field

from components.csv_ingest.dialect import (  # noqa: F401  re-exported: the ingestion API
    MAX_LINE_BYTES,
    CsvInputError,
    missing_columns_message,
    open_text,
)
from components.csv_ingest.examples import FLOAT32_MAX

MAX_LINES_NAMED = 10


@dataclass(frozen=True)
class ColumnTypes:
    """Which columns are read as numbers and which as strings; other CSV columns are ignored.

    `column_names` replace the file's header names (for a first line that is not usable names,
    or, with `has_header` false, a file without a header line).
    """

    numeric: tuple[str, ...]
    strings: tuple[str, ...]
    missing_values: tuple[str, ...] = ("",)
    label: str = ""  # a row whose label is missing is refused: it can neither train nor evaluate
    delimiter: str = ","
    column_names: tuple[str, ...] = ()
    has_header: bool = True

    @classmethod
    def from_dict(cls, raw: dict) -> "ColumnTypes":
        return cls(
            numeric=tuple(raw.get("numeric", ())),
            strings=tuple(raw.get("strings", ())),
            missing_values=tuple(raw.get("missing_values", ("",))),
            label=raw.get("label", ""),
            delimiter=raw.get("delimiter", ","),
            column_names=tuple(raw.get("column_names", ())),
            has_header=bool(raw.get("has_header", True)),
        )

    def to_dict(self) -> dict:
        """Defaults are left out, so configs that do not use an option serialize as before."""
        raw = {"numeric": list(self.numeric), "strings": list(self.strings),
               "missing_values": list(self.missing_values)}
        optional = {"label": (self.label, ""), "delimiter": (self.delimiter, ","),
                    "column_names": (list(self.column_names), []),
                    "has_header": (self.has_header, True)}
        raw.update({key: value for key, (value, default) in optional.items() if value != default})
        return raw

    @property
    def wanted(self) -> tuple[str, ...]:
        return self.numeric + self.strings


@dataclass
class _Tally:
    """What a whole file must satisfy that no single row shows: rows, labels, present values."""

    rows: int = 0
    unlabelled_lines: list[int] = field(default_factory=list)
    present: dict[str, int] = field(default_factory=dict)

    def add(self, row: dict, line: int, label: str) -> None:
        self.rows += 1
        if label and row.get(label) is None:
            self.unlabelled_lines.append(line)
        for column, value in row.items():
            self.present[column] = self.present.get(column, 0) + (value is not None)

    def check(self, types: ColumnTypes, source: str) -> None:
        if not self.rows:
            raise CsvInputError(f"{source}: the file has a header but no data rows", source)
        if self.unlabelled_lines:
            lines = self.unlabelled_lines
            named = ", ".join(map(str, lines[:MAX_LINES_NAMED])) + (
                ", ..." if len(lines) > MAX_LINES_NAMED else "")
            raise CsvInputError(
                f"{source}: label column '{types.label}' is empty on {len(lines)} row(s), "
                f"line(s) {named}: rows without a label can neither train nor evaluate",
                source, lines[0])
        empty = [c for c in types.wanted if not self.present.get(c)]
        if empty:
            raise CsvInputError(
                f"{source}: column(s) {', '.join(empty)} hold no value in any of the "
                f"{self.rows} rows (nothing to learn from or impute with)", source)


def header_positions(header: list[str], types: ColumnTypes, source: str) -> dict[str, int]:
    """Column name -> position; raises naming every configured column the header lacks."""
    if not header or all(not h.strip() for h in header):
        raise CsvInputError(f"{source}: the file is empty (no header line)", source, 1)
    names = [name.strip() for name in header]
    positions = {name: i for i, name in enumerate(names)}
    missing = [c for c in types.wanted if c not in positions]
    if missing:
        raise CsvInputError(missing_columns_message(
            source, header, missing, types.delimiter, types.wanted), source, 1)
    twice = [c for c in types.wanted if names.count(c) > 1]
    if twice:
        raise CsvInputError(
            f"{source}:1: column(s) {', '.join(twice)} appear twice in the header", source, 1)
    return {c: positions[c] for c in types.wanted}


def _number(raw: str, column: str, source: str, line: int) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        # float() accepts 'nan' and 'inf'; either would poison the mean used for imputation.
        raise CsvInputError(
            f"{source}:{line}: column '{column}' is numeric in the dataset config but holds "
            f"{raw[:40]!r}" + ("" if value is None else " (not a finite number; list it in "
                               "missing_values if it means 'no value')"), source, line)
    if abs(value) > FLOAT32_MAX:  # tf.Example stores float32: it would become infinite
        raise CsvInputError(
            f"{source}:{line}: column '{column}' holds {raw[:40]!r}, beyond the float32 range "
            "(about 3.4e38) numeric features are stored in", source, line)
    return value


def parse_row(cells: list[str], positions: dict[str, int], types: ColumnTypes,
              source: str, line: int) -> dict[str, float | str | None]:
    """One CSV record as {column: float | str | None}; None is a missing value."""
    if any(p >= len(cells) for p in positions.values()):
        raise CsvInputError(
            f"{source}:{line}: row has {len(cells)} cells, fewer than the header", source, line)
    row: dict[str, float | str | None] = {}
    for column in types.numeric:
        raw = cells[positions[column]].strip()
        row[column] = None if raw in types.missing_values else _number(raw, column, source, line)
    for column in types.strings:
        raw = cells[positions[column]].strip()
        row[column] = None if raw in types.missing_values else raw
    return row


def read_numbered_rows(text_lines, types: ColumnTypes, source: str):
    """Yields (first line of the record, parsed row); file-level checks run after the last row.

    A quoted field may hold delimiters and newlines; such a record spans several lines.
    """
    reader = csv.reader(text_lines, delimiter=types.delimiter)
    tally = _Tally()
    try:
        header = next(reader, []) if types.has_header else []
        if types.column_names:
            header = list(types.column_names)
        positions = header_positions(header, types, source)
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if not cells or all(not c.strip() for c in cells):
                continue
            row = parse_row(cells, positions, types, source, line)
            tally.add(row, line, types.label)
            yield line, row
    except csv.Error as err:
        raise CsvInputError(f"{source}:{reader.line_num}: malformed CSV: {err}",
                            source, reader.line_num) from None
    tally.check(types, source)


def read_rows(text_lines, types: ColumnTypes, source: str):
    """Yields parsed rows from an iterable of text lines (header first); file-level checks last."""
    for _, row in read_numbered_rows(text_lines, types, source):
        yield row


def scan(text_lines, types: ColumnTypes, source: str) -> int:
    """Parses a whole file, raising on the first problem; returns the number of data rows."""
    return sum(1 for _ in read_rows(text_lines, types, source))
