"""The backend's own MLMD connection: MySQL as on a cluster, with one clear error when it fails."""
from __future__ import annotations

import json

from pipeline.mysql_store import MetadataConnectionError
from pipeline.mysql_store import open_mysql_store as _open_mysql

__all__ = ["MetadataConnectionError", "open_mysql_store"]


def open_mysql_store(spec: str | dict):
    """An MLMD store for a `{"mysql": {...}}` spec: the backend records runs on MySQL only."""
    spec = json.loads(spec) if isinstance(spec, str) else spec
    if "mysql" not in spec:
        raise MetadataConnectionError(
            f"the backend's MLMD must be MySQL ({{\"mysql\": {{...}}}}), not {sorted(spec)}")
    return _open_mysql(spec)
