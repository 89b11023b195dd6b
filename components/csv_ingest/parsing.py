"""Parses CSV rows by declared column types; every failure names the file, line and column."""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field

# A line this long is a missing newline or a binary file, not a record; refusing it keeps a
# single "row" from exhausting a worker's memory further down the pipeline.
MAX_LINE_BYTES = 1 << 20
MAX_LINES_NAMED = 10


class CsvInputError(ValueError):
    """The input CSV does not match the dataset config."""


@dataclass(frozen=True)
class ColumnTypes:
    """Which columns are read as numbers and which as strings; other CSV columns are ignored."""

    numeric: tuple[str, ...]
    strings: tuple[str, ...]
    missing_values: tuple[str, ...] = ("",)
    label: str = ""  # a row whose label is missing is refused: it can neither train nor evaluate

    @classmethod
    def from_dict(cls, raw: dict) -> "ColumnTypes":
        return cls(
            numeric=tuple(raw.get("numeric", ())),
            strings=tuple(raw.get("strings", ())),
            missing_values=tuple(raw.get("missing_values", ("",))),
            label=raw.get("label", ""),
        )

    def to_dict(self) -> dict:
        raw = {"numeric": list(self.numeric), "strings": list(self.strings),
               "missing_values": list(self.missing_values)}
        return {**raw, "label": self.label} if self.label else raw


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
            raise CsvInputError(f"{source}: the file has a header but no data rows")
        if self.unlabelled_lines:
            lines = self.unlabelled_lines
            named = ", ".join(map(str, lines[:MAX_LINES_NAMED])) + (
                ", ..." if len(lines) > MAX_LINES_NAMED else "")
            raise CsvInputError(
                f"{source}: label column '{types.label}' is empty on {len(lines)} row(s), "
                f"line(s) {named}: rows without a label can neither train nor evaluate")
        empty = [c for c in types.numeric + types.strings if not self.present.get(c)]
        if empty:
            raise CsvInputError(
                f"{source}: column(s) {', '.join(empty)} hold no value in any of the "
                f"{self.rows} rows (nothing to learn from or impute with)")


def header_positions(header: list[str], types: ColumnTypes, source: str) -> dict[str, int]:
    """Column name -> position; raises naming every configured column the header lacks."""
    if not header or all(not h.strip() for h in header):
        raise CsvInputError(f"{source}: the file is empty (no header line)")
    names = [name.strip() for name in header]
    positions = {name: i for i, name in enumerate(names)}
    wanted = types.numeric + types.strings
    missing = [c for c in wanted if c not in positions]
    if missing:
        raise CsvInputError(
            f"{source}: configured column(s) missing from the CSV header: {', '.join(missing)} "
            f"(header has: {', '.join(header)})")
    twice = [c for c in wanted if names.count(c) > 1]
    if twice:
        raise CsvInputError(f"{source}: column(s) {', '.join(twice)} appear twice in the header")
    return {c: positions[c] for c in wanted}


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
                               "missing_values if it means 'no value')"))
    return value


def parse_row(cells: list[str], positions: dict[str, int], types: ColumnTypes,
              source: str, line: int) -> dict[str, float | str | None]:
    """One CSV record as {column: float | str | None}; None is a missing value."""
    if len(cells) < len(positions) and any(p >= len(cells) for p in positions.values()):
        raise CsvInputError(f"{source}:{line}: row has {len(cells)} cells, fewer than the header")
    row: dict[str, float | str | None] = {}
    for column in types.numeric:
        raw = cells[positions[column]].strip()
        row[column] = None if raw in types.missing_values else _number(raw, column, source, line)
    for column in types.strings:
        raw = cells[positions[column]].strip()
        row[column] = None if raw in types.missing_values else raw
    return row


def read_rows(text_lines, types: ColumnTypes, source: str):
    """Yields parsed rows from an iterable of text lines (header first); file-level checks last."""
    reader = csv.reader(text_lines)
    tally = _Tally()
    try:
        header = next(reader, [])
        positions = header_positions(header, types, source)
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            row = parse_row(cells, positions, types, source, reader.line_num)
            tally.add(row, reader.line_num, types.label)
            yield row
    except csv.Error as err:
        raise CsvInputError(f"{source}:{reader.line_num}: malformed CSV: {err}") from None
    tally.check(types, source)


def scan(text_lines, types: ColumnTypes, source: str) -> int:
    """Parses a whole file, raising on the first problem; returns the number of data rows."""
    return sum(1 for _ in read_rows(text_lines, types, source))


def open_text(raw, source: str):
    """UTF-8 text lines from a binary line iterator; undecodable bytes name the file and line."""
    for number, line in enumerate(raw, 1):
        if len(line) > MAX_LINE_BYTES:
            raise CsvInputError(
                f"{source}:{number}: line is {len(line)} bytes, over the {MAX_LINE_BYTES}-byte "
                "limit (a missing newline, or not a CSV file?)")
        try:
            yield line.decode("utf-8") if isinstance(line, bytes) else line
        except UnicodeDecodeError as err:
            raise CsvInputError(
                f"{source}:{number}: not UTF-8 text ({err.reason} at byte {err.start})") from None
