"""The synthetic stores bench_lineage times: generated once, kept under benchmarks/results/.

SQLite stores are written through MLMD by make_synthetic_store. On MariaDB, MLMD writes a row per
round trip (about 4 runs/s here), so the 1,000-run store is written through MLMD and larger ones
are bulk copies of the SQLite store of the same size (benchmarks/copy_store.py).
"""
from __future__ import annotations

import os
import time

from benchmarks.copy_store import copy
from benchmarks.make_synthetic_store import build
from pipeline.metadata import open_store, sqlite_spec

MODELS, RUNS_PER_DATASET = 10, 5
MARIADB_WRITTEN_UP_TO = 1000


def sqlite_store(directory: str, runs: int) -> tuple[str, dict]:
    """(spec, how it was made) of the SQLite store of `runs` runs, generated if missing."""
    path = os.path.join(directory, f"synthetic-{runs}.sqlite")
    made = {"backend": "sqlite", "store_mb": None}
    if not os.path.exists(path):
        started = time.perf_counter()
        build(open_store(sqlite_spec(path)), runs, MODELS, RUNS_PER_DATASET, "/synthetic")
        seconds = time.perf_counter() - started
        made.update(generate_s=round(seconds, 1), generate_runs_per_s=round(runs / seconds, 1))
    made["store_mb"] = round(os.path.getsize(path) / 2**20, 1)
    return sqlite_spec(path), made


def _grant(server, name: str) -> None:
    server.sql(f"GRANT ALL ON `{name}`.* TO '{server.user}'@'127.0.0.1'; "
               f"GRANT ALL ON `{name}`.* TO '{server.user}'@'localhost';")


def mariadb_store(server, directory: str, runs: int) -> tuple[dict, dict]:
    """(spec, how it was made) of the MariaDB database of `runs` runs, made if missing."""
    name = f"synthetic_{runs}"
    made = {"backend": "mariadb"}
    if server.sql(f"SHOW DATABASES LIKE '{name}'").strip() == name:
        _grant(server, name)
        return server.database_spec(name), made
    started = time.perf_counter()
    if runs <= MARIADB_WRITTEN_UP_TO:
        spec = server.create_database(name)
        build(open_store(spec), runs, MODELS, RUNS_PER_DATASET, "/synthetic")
        made["written"] = "through MLMD"
    else:
        sqlite_store(directory, runs)  # generated first if missing
        staging = f"{name}_loading"
        open_store(server.create_database(staging))  # MLMD creates its schema there
        copy(os.path.join(directory, f"synthetic-{runs}.sqlite"), server.socket_path, staging, name)
        _grant(server, name)
        spec = server.database_spec(name)
        made["written"] = "bulk copy of the SQLite store"
    made["generate_s"] = round(time.perf_counter() - started, 1)
    return spec, made
