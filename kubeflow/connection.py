"""The MLMD connection spec the approval and push components use on a cluster (never SQLite)."""
from __future__ import annotations

import json
import re

DEFAULT_METADATA_GRPC = "metadata-grpc-service.kubeflow:8080"
MYSQL_KEYS = {"host", "port", "database", "user", "password_env"}
_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")


class MetadataOptionError(ValueError):
    """An MLMD connection option that a pod on the cluster could not use."""


def grpc_spec(address: str) -> str:
    """{"grpc": "host:port"} for the metadata gRPC service."""
    if not _HOST_PORT.match(address):
        raise MetadataOptionError(f"--metadata-grpc wants HOST:PORT, got {address!r}")
    return json.dumps({"grpc": address})


def mysql_spec(path: str) -> str:
    """{"mysql": {...}} from a JSON file; the password stays in the env var it names."""
    with open(path, encoding="utf-8") as handle:
        config = json.load(handle)
    config = config.get("mysql", config)
    if "password" in config:
        raise MetadataOptionError(
            f"{path}: no 'password' here (the spec is stored in MLMD); name an environment "
            "variable that holds it with 'password_env'")
    unknown = set(config) - MYSQL_KEYS
    if unknown:
        raise MetadataOptionError(
            f"{path}: unknown keys {sorted(unknown)}; allowed: {sorted(MYSQL_KEYS)}")
    missing = {"host", "database"} - set(config)
    if missing:
        raise MetadataOptionError(f"{path}: missing {sorted(missing)}")
    return json.dumps({"mysql": config}, sort_keys=True)


def cluster_spec(grpc: str | None = None, mysql_config: str | None = None) -> str:
    """The spec for at most one of the two options; the in-cluster gRPC service by default."""
    if grpc and mysql_config:
        raise MetadataOptionError("give --metadata-grpc or --metadata-mysql-config, not both")
    if mysql_config:
        return mysql_spec(mysql_config)
    return grpc_spec(grpc or DEFAULT_METADATA_GRPC)


def check_cluster_spec(spec: str) -> None:
    """Rejects specs a pod cannot reach: a SQLite file lives on one machine only."""
    kind = next(iter(json.loads(spec)), None)
    if kind not in ("grpc", "mysql"):
        raise MetadataOptionError(
            f"a cluster run needs a grpc or mysql MLMD connection, not {kind!r}")
