"""Moments in the governance log's format: ISO-8601 UTC with microseconds and a Z."""

from __future__ import annotations

from datetime import datetime, timezone

from .errors import LineageError


def parse_time(text) -> datetime:
    """ISO-8601 (`Z`, an offset, or naive meaning UTC) or a datetime -> an aware UTC datetime."""
    if isinstance(text, datetime):
        moment = text
    else:
        raw = str(text).strip()
        try:
            moment = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
        except ValueError:
            raise LineageError(
                f"cannot read time {raw!r}: use ISO-8601 UTC, e.g. 2026-11-22T05:30:00Z"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds and a Z, as the governance log writes it."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
