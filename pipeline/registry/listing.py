"""`versions MODEL`, newest first, a page at a time: cost follows the page, not the model.

Versions are numbered 1..latest without gaps, so with a head a page is `limit` index lookups by
name plus two calls for their records; a store from before heads uses an MLMD filter query
ordered by id instead.
"""

from __future__ import annotations

from ml_metadata.metadata_store.metadata_store import ListOptions, OrderByField

from . import heads, queries, schema
from .records import VersionInfo


def _by_name(store, model_name: str, numbers) -> list:
    found = (store.get_artifact_by_type_and_name(schema.MODEL_VERSION, f"{model_name}@{n}")
             for n in numbers)
    return [a for a in found if a is not None]


def _by_filter(store, model_name: str, limit: int, before: int | None) -> list:
    query = (f"type = {schema.quote(schema.MODEL_VERSION)}"
             f" AND properties.model_name.string_value = {schema.quote(model_name)}")
    if before is not None:
        query += f" AND properties.version.int_value < {int(before)}"
    options = ListOptions(filter_query=query, limit=limit, order_by=OrderByField.ID, is_asc=False)
    return list(store.get_artifacts(list_options=options))


def versions_page(store, model_name: str, limit: int = 20, before: int | None = None
                  ) -> list[VersionInfo]:
    """Up to `limit` versions of `model_name` below `before` (default: all), newest first."""
    head = heads.read(store, model_name)
    if head is not None:
        top = min(head.latest, before - 1) if before is not None else head.latest
        artifacts = _by_name(store, model_name, range(top, max(top - limit, 0), -1))
    else:
        artifacts = _by_filter(store, model_name, limit, before)
    records = queries.version_records(store, artifacts)
    infos = [queries.version_info(a, records[a.id]) for a in artifacts]
    return sorted(infos, key=lambda v: v.version, reverse=True)
