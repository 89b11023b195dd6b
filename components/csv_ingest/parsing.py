"""Parses CSV rows by declared column types; every failure names the file, line and column."""
from __future__ import annotations

import csv
from dataclasses import dataclass


class CsvInputError(ValueError):
    """The input CSV does not match the dataset config."""


@dataclass(frozen=True)
class ColumnTypes:
    """Which columns are read as numbers and which as strings; anything else in the CSV is ignored."""

    numeric: tuple[str, ...]
    strings: tuple[str, ...]
    missing_values: tuple[str, ...] = ("",)

    @classmethod
    def from_dict(cls, raw: dict) -> "ColumnTypes":
        return cls(
            numeric=tuple(raw.get("numeric", ())),
            strings=tuple(raw.get("strings", ())),
            missing_values=tuple(raw.get("missing_values", ("",))),
        )

    def to_dict(self) -> dict:
        return {"numeric": list(self.numeric), "strings": list(self.strings),
                "missing_values": list(self.missing_values)}


def header_positions(header: list[str], types: ColumnTypes, source: str) -> dict[str, int]:
    """Column name -> position; raises naming every configured column the header lacks."""
    if not header or all(not h.strip() for h in header):
        raise CsvInputError(f"{source}: the file is empty (no header line)")
    positions = {name.strip(): i for i, name in enumerate(header)}
    wanted = types.numeric + types.strings
    missing = [c for c in wanted if c not in positions]
    if missing:
        raise CsvInputError(
            f"{source}: configured column(s) missing from the CSV header: {', '.join(missing)} "
            f"(header has: {', '.join(header)})")
    return {c: positions[c] for c in wanted}


def parse_row(cells: list[str], positions: dict[str, int], types: ColumnTypes,
              source: str, line: int) -> dict[str, float | str | None]:
    """One CSV record as {column: float | str | None}; None is a missing value."""
    if len(cells) < len(positions) and any(p >= len(cells) for p in positions.values()):
        raise CsvInputError(f"{source}:{line}: row has {len(cells)} cells, fewer than the header")
    row: dict[str, float | str | None] = {}
    for column in types.numeric:
        raw = cells[positions[column]].strip()
        if raw in types.missing_values:
            row[column] = None
            continue
        try:
            row[column] = float(raw)
        except ValueError:
            raise CsvInputError(
                f"{source}:{line}: column '{column}' is numeric in the dataset config but holds "
                f"{raw[:40]!r}") from None
    for column in types.strings:
        raw = cells[positions[column]].strip()
        row[column] = None if raw in types.missing_values else raw
    return row


def read_rows(text_lines, types: ColumnTypes, source: str):
    """Yields parsed rows from an iterable of text lines (header first)."""
    reader = csv.reader(text_lines)
    try:
        header = next(reader, [])
        positions = header_positions(header, types, source)
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            yield parse_row(cells, positions, types, source, reader.line_num)
    except csv.Error as err:
        raise CsvInputError(f"{source}:{reader.line_num}: malformed CSV: {err}") from None


def open_text(raw, source: str):
    """UTF-8 text lines from a binary line iterator; undecodable bytes name the file and line."""
    for number, line in enumerate(raw, 1):
        try:
            yield line.decode("utf-8") if isinstance(line, bytes) else line
        except UnicodeDecodeError as err:
            raise CsvInputError(
                f"{source}:{number}: not UTF-8 text ({err.reason} at byte {err.start})") from None
