"""How a CSV file is written: its encoding (BOM), delimiter and header line."""
from __future__ import annotations

import codecs
import json

# A line this long is a missing newline or a binary file, not a record; refusing it keeps a
# single "row" from exhausting a worker's memory further down the pipeline.
MAX_LINE_BYTES = 1 << 20
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class CsvInputError(ValueError):
    """The input CSV does not match the dataset config (or cannot train a model).

    `source` is the file; `line` the 1-based line the problem is on, None for whole-file facts.
    """

    def __init__(self, message: str, source: str = "", line: int | None = None):
        super().__init__(message)
        self.source, self.line = source, line


def delimiter_name(delimiter: str) -> str:
    name = _DELIMITER_NAMES.get(delimiter)
    return f"{delimiter!r} ({name})" if name else repr(delimiter)


def open_text(raw, source: str):
    """UTF-8 text lines from a binary line iterator, a leading BOM removed.

    Spreadsheet programs' "CSV UTF-8" starts with a BOM; left in place it would glue itself to
    the first column's name. Undecodable bytes and over-long lines name the file and line.
    """
    for number, line in enumerate(raw, 1):
        if len(line) > MAX_LINE_BYTES:
            raise CsvInputError(
                f"{source}:{number}: line is {len(line)} bytes, over the {MAX_LINE_BYTES}-byte "
                "limit (a missing newline, or not a CSV file?)", source, number)
        if isinstance(line, str):
            yield line.lstrip("\ufeff") if number == 1 else line
            continue
        if number == 1 and line.startswith(_UTF16_BOMS):
            raise CsvInputError(f"{source}:1: the file is UTF-16 text; save it as UTF-8",
                                source, 1)
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as err:
            raise CsvInputError(
                f"{source}:{number}: not UTF-8 text ({err.reason} at byte {err.start})",
                source, number) from None
        yield text


def apparent_delimiter(header_text: str, configured: str, wanted: tuple[str, ...]) -> str | None:
    """Another delimiter under which the header holds more of the wanted columns, if any."""
    def found(delimiter: str) -> int:
        names = {name.strip().strip('"') for name in header_text.split(delimiter)}
        return sum(column in names for column in wanted)

    best = max(CANDIDATE_DELIMITERS, key=found)
    if best != configured and found(best) > found(configured):
        return best
    return None


def missing_columns_message(source: str, header: list[str], missing: list[str],
                            configured: str, wanted: tuple[str, ...]) -> str:
    """Names the missing columns; when the file seems to use another delimiter, names that."""
    header_text = configured.join(header)
    message = (f"{source}:1: configured column(s) missing from the CSV header: "
               f"{', '.join(missing)} (header has: {', '.join(header)[:300]})")
    other = apparent_delimiter(header_text, configured, wanted)
    if other:
        message += (f"; the file appears to be {delimiter_name(other)}-delimited, not "
                    f"{delimiter_name(configured)}: set `delimiter: {json.dumps(other)}` in the "
                    "dataset config")
    return message
