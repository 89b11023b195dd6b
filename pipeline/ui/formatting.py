"""Jinja filters: numbers, digests and JSON facts shown the same way on every page."""

from __future__ import annotations

import json
import re

import jinja2

_ISO = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|\+00:00)$")


def number(value, digits: int = 4) -> str:
    """Floats to `digits` significant digits; anything else as text ("" for None)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != 0 and not 1e-3 <= abs(value) < 1e6:
            return f"{value:.{digits}g}"
        # Fixed decimals, trailing zeros dropped: 1.0, 0.9524, 2.051.
        text = f"{value:.{digits}f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    return str(value)


def short(value, length: int = 12) -> str:
    """A digest's first characters; the page shows the full value on hover."""
    text = "" if value is None else str(value)
    return text if len(text) <= length + 1 else text[:length] + "…"


def pretty(value) -> str:
    """A fact as readable text: strings as they are, short structures on one line, long ones
    as indented JSON."""
    if isinstance(value, str):
        return value
    flat = json.dumps(value, sort_keys=True, default=str)
    return flat if len(flat) <= 80 else json.dumps(value, indent=2, sort_keys=True, default=str)


def when(value) -> str:
    """An ISO-8601 UTC time to the second ("2026-11-30 07:42:35Z"); other text unchanged."""
    text = "" if value is None else str(value)
    found = _ISO.match(text)
    return f"{found.group(1)} {found.group(2)}Z" if found else text


def install(env: jinja2.Environment) -> None:
    env.filters.update(number=number, short=short, pretty=pretty, when=when)
