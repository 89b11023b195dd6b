"""MLMD connection configs from a small JSON spec, for runners, executors and read-only commands.

A spec is one of:
  {"sqlite": "/path/metadata.sqlite"}          local runs
  {"grpc": "host:port"}                        the Kubeflow metadata gRPC service
  {"mysql": {"host": ..., "port": ..., "database": ..., "user": ..., "password_env": "VAR"}}
Secrets never go into the spec: a MySQL password is read from the named environment variable.
"""
from __future__ import annotations

import contextlib
import json
import os
import urllib.parse

# ml_metadata (with gRPC, ~0.5 s) is imported by the functions that need it: settings are resolved
# with sqlite_spec() by every `ledger` command, and some never open a store.


class StoreNotFoundError(FileNotFoundError):
    """A read command was pointed at an MLMD store that does not exist."""


class StoreOpenError(OSError):
    """The MLMD store named by a spec cannot be opened: the file is not an MLMD database, or the
    server cannot be reached or refuses the login. The message names the file or host:port."""


def sqlite_spec(path: str) -> str:
    return json.dumps({"sqlite": os.path.abspath(path)})


def store_label(spec: str | dict) -> str:
    """Where a spec's store is, for messages: the SQLite path, mysql://host:port/database or
    grpc://host:port (never the password's variable); anything else as the spec itself."""
    try:
        spec = json.loads(spec) if isinstance(spec, str) else spec
    except ValueError:
        return str(spec)
    if isinstance(spec, dict) and isinstance(spec.get("sqlite"), str):
        return spec["sqlite"]
    if isinstance(spec, dict) and isinstance(spec.get("mysql"), dict):
        mysql = spec["mysql"]
        return (f"mysql://{mysql.get('host', '')}:{mysql.get('port', 3306)}/"
                f"{mysql.get('database', '')}")
    if isinstance(spec, dict) and "grpc" in spec:
        return f"grpc://{spec['grpc']}"
    return json.dumps(spec)


def connection_config(spec: str | dict, *, must_exist: bool = False):
    """A ConnectionConfig (or MetadataStoreClientConfig for gRPC) for `spec`.

    With `must_exist`, a SQLite path that does not exist raises StoreNotFoundError instead of
    silently creating an empty store.
    """
    from ml_metadata.proto import metadata_store_pb2

    if isinstance(spec, str):
        spec = json.loads(spec)
    if "sqlite" in spec:
        path = spec["sqlite"]
        if must_exist and not os.path.exists(path):
            raise StoreNotFoundError(
                f"no MLMD store at {path} (run the pipeline first, or set --home)")
        config = metadata_store_pb2.ConnectionConfig()
        config.sqlite.filename_uri = path
        config.sqlite.connection_mode = (
            metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE
            if must_exist
            else metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        )
        return config
    if "grpc" in spec:
        host, _, port = spec["grpc"].rpartition(":")
        client = metadata_store_pb2.MetadataStoreClientConfig(host=host, port=int(port))
        return client
    if "mysql" in spec:
        cfg = spec["mysql"]
        config = metadata_store_pb2.ConnectionConfig()
        config.mysql.host = cfg["host"]
        config.mysql.port = int(cfg.get("port", 3306))
        config.mysql.database = cfg["database"]
        config.mysql.user = cfg.get("user", "")
        if cfg.get("password_env"):
            config.mysql.password = os.environ.get(cfg["password_env"], "")
        return config
    raise ValueError(f"unknown MLMD connection spec {spec!r}: expected sqlite, grpc or mysql")


# The first 100 bytes of every SQLite database file (https://sqlite.org/fileformat.html).
SQLITE_HEADER = b"SQLite format 3\x00"
HEADER_SIZE = 100


def check_sqlite_store(path: str, *, must_exist: bool) -> None:
    """Refuse, with the path and what is wrong, a file MLMD would fail on or write its tables
    into: a directory, bytes that are not SQLite, a truncated database, and (for a store that
    must exist) an empty file or a SQLite database that is not MLMD's."""
    if not os.path.lexists(path):
        return  # connection_config decides: StoreNotFoundError, or a new store
    if os.path.isdir(path):
        raise StoreOpenError(f"{path} is a directory, not an MLMD store (a SQLite file)")
    with open(path, "rb") as store:
        header = store.read(HEADER_SIZE)
        size = store.seek(0, os.SEEK_END)
    if not header:
        if must_exist:
            raise StoreOpenError(f"{path} is an empty file, not an MLMD store")
        return  # MLMD creates its tables in it, as in a new file
    if not header.startswith(SQLITE_HEADER):
        raise StoreOpenError(
            f"{path} is not an MLMD store: not a SQLite database (it starts {header[:16]!r})")
    expected = _database_size(header)
    if len(header) < HEADER_SIZE or size < expected:
        raise StoreOpenError(f"{path} is a truncated SQLite database: {size} bytes, its header "
                             f"says {expected}")
    if not _has_mlmd_tables(path):
        raise StoreOpenError(f"{path} is a SQLite database but not an MLMD store (no MLMDEnv "
                             "table)")


def _database_size(header: bytes) -> int:
    """Bytes the header says the file holds (page size x page count); 0 when the count is
    stale, as SQLite then trusts the file size itself."""
    if len(header) < HEADER_SIZE or header[24:28] != header[92:96]:
        return 0
    page_size = int.from_bytes(header[16:18], "big")
    return (65536 if page_size == 1 else page_size) * int.from_bytes(header[28:32], "big")


def _has_mlmd_tables(path: str) -> bool:
    """Read-only, so the check itself writes nothing."""
    import sqlite3  # only commands that open a SQLite store pay for it
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                              "name = 'MLMDEnv'").fetchone() is not None
    except sqlite3.DatabaseError as exc:
        raise StoreOpenError(f"{path} is not a readable MLMD store: {exc}") from None


def open_store(spec: str | dict, *, must_exist: bool = False):
    """An MLMD store (metadata_store.MetadataStore) for `spec`; see connection_config.

    Every command opens its store here, so a bad store is one StoreOpenError for all of them,
    raised before MLMD can write its tables into a file that is not its own.
    """
    from ml_metadata import metadata_store

    spec = json.loads(spec) if isinstance(spec, str) else spec
    if "mysql" in spec:
        from pipeline.mysql_store import open_mysql_store

        return open_mysql_store(spec)
    if "sqlite" in spec:
        check_sqlite_store(spec["sqlite"], must_exist=must_exist)
    try:
        return metadata_store.MetadataStore(connection_config(spec, must_exist=must_exist))
    except RuntimeError as exc:  # MLMD's C++ layer reports every failure as a RuntimeError
        where = spec.get("sqlite") or spec.get("grpc")
        cause = str(exc).split(" query:")[0].splitlines()[0]  # not the SQL it was running
        raise StoreOpenError(f"cannot open the MLMD store {where}: {cause}") from None
