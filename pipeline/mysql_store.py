"""MLMD on MySQL, as on a cluster: one clear error naming host:port when it cannot be used."""
from __future__ import annotations

import contextlib
import os
import socket
import tempfile

from pipeline.metadata import StoreOpenError, connection_config


class MetadataConnectionError(StoreOpenError):
    """MLMD on MySQL cannot be reached or refuses the credentials."""


@contextlib.contextmanager
def _quiet_native_stderr():
    """MLMD's C++ layer logs a multi-line hint to fd 2 on a failed connect; the error raised
    here says what happened, so that noise is kept off the terminal."""
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def open_mysql_store(spec: dict):
    """An MLMD store for a `{"mysql": {...}}` spec; the password comes from `password_env`."""
    from ml_metadata import metadata_store

    mysql = spec["mysql"]
    host, port = mysql.get("host"), int(mysql.get("port", 3306))
    where = (f"cannot connect to MLMD on MySQL at {host}:{port} "
             f"(database {mysql.get('database')}, user {mysql.get('user', '')})")
    variable = mysql.get("password_env")
    if variable and variable not in os.environ:
        raise MetadataConnectionError(f"{where}: the password variable {variable} is not set")
    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as err:
        raise MetadataConnectionError(f"{where}: {err.strerror or err}") from None
    # One attempt to log in: MLMD's own retries would take half a minute to say no.
    probe = connection_config(spec)
    probe.retry_options.max_num_retries = 0
    try:
        with _quiet_native_stderr():
            metadata_store.MetadataStore(probe)
    except Exception:  # noqa: BLE001 - MLMD says only "mysql_real_connect failed"
        raise MetadataConnectionError(
            f"{where}: the server refused the login (wrong user or password, or no access to "
            "the database)") from None
    try:
        return metadata_store.MetadataStore(connection_config(spec))
    except RuntimeError as err:  # the server went away since the probe: still one line
        raise MetadataConnectionError(f"{where}: {str(err).splitlines()[0]}") from None
