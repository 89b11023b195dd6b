"""The backend's own MLMD connection: MySQL as on a cluster, with one clear error when it fails."""
from __future__ import annotations

import json


class MetadataConnectionError(RuntimeError):
    """MLMD on MySQL cannot be reached or refuses the credentials."""


def open_mysql_store(spec: str | dict):
    """An MLMD store for a `{"mysql": {...}}` spec; the password comes from `password_env`."""
    import os

    from ml_metadata import metadata_store

    from pipeline.metadata import connection_config

    spec = json.loads(spec) if isinstance(spec, str) else spec
    if "mysql" not in spec:
        raise MetadataConnectionError(
            f"the backend's MLMD must be MySQL ({{\"mysql\": {{...}}}}), not {sorted(spec)}")
    mysql = spec["mysql"]
    where = (f"MySQL at {mysql.get('host')}:{mysql.get('port', 3306)} "
             f"(database {mysql.get('database')}, user {mysql.get('user', '')})")
    variable = mysql.get("password_env")
    if variable and variable not in os.environ:
        raise MetadataConnectionError(f"cannot connect to MLMD on {where}: the password "
                                      f"variable {variable} is not set")
    try:
        return metadata_store.MetadataStore(connection_config(spec))
    except Exception as err:  # noqa: BLE001 - MLMD raises several kinds for one cause
        cause = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise MetadataConnectionError(f"cannot connect to MLMD on {where}: {cause}") from None
