"""MLMD connection configs from a small JSON spec, for runners, executors and read-only commands.

A spec is one of:
  {"sqlite": "/path/metadata.sqlite"}          local runs
  {"grpc": "host:port"}                        the Kubeflow metadata gRPC service
  {"mysql": {"host": ..., "port": ..., "database": ..., "user": ..., "password_env": "VAR"}}
Secrets never go into the spec: a MySQL password is read from the named environment variable.
"""
from __future__ import annotations

import json
import os

# ml_metadata (with gRPC, ~0.5 s) is imported by the functions that need it: settings are resolved
# with sqlite_spec() by every `ledger` command, and some never open a store.


class StoreNotFoundError(FileNotFoundError):
    """A read command was pointed at an MLMD store that does not exist."""


def sqlite_spec(path: str) -> str:
    return json.dumps({"sqlite": os.path.abspath(path)})


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


def open_store(spec: str | dict, *, must_exist: bool = False):
    """An MLMD store (metadata_store.MetadataStore) for `spec`; see connection_config."""
    from ml_metadata import metadata_store

    return metadata_store.MetadataStore(connection_config(spec, must_exist=must_exist))
