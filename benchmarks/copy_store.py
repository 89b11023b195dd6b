"""Copy an MLMD SQLite store into an MLMD database on MariaDB/MySQL, table by table, in bulk.

    python -m benchmarks.copy_store SQLITE_PATH SOCKET DATABASE

Writing runs one by one through MLMD costs a round trip per row: on this machine MariaDB takes
about 4 runs/s that way, days for 100,000 runs. MLMD's schema is the same on both back ends at
the same schema version (checked here column by column), so a store generated on SQLite (through
MLMD) is loaded with LOAD DATA into a staging database whose schema MLMD created: secondary
indexes are dropped before the load and built once after it (sorted builds, not 27 million
random inserts), then every table is renamed into DATABASE in one statement, so DATABASE is
either absent or complete. Afterwards the store is read only through MLMD.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict

SKIPPED = ("MLMDEnv", "sqlite_sequence")  # MLMD writes its own schema version on MySQL


def _cell(value) -> bytes:
    if value is None:
        return b"\\N"
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8")
    return (raw.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r").replace(b"\0", b"\\0"))


def _export(source: sqlite3.Connection, table: str, columns: list[str], path: str) -> int:
    rows = 0
    with open(path, "wb") as handle:
        for row in source.execute(f"SELECT * FROM `{table}` ORDER BY rowid"):
            handle.write(b"\t".join(_cell(v) for v in row) + b"\n")
            rows += 1
    return rows


def _mysql(socket: str, database: str, statements: str) -> str:
    client = shutil.which("mariadb") or shutil.which("mysql")
    return subprocess.run([client, "--no-defaults", "--local-infile=1", f"--socket={socket}",
                           "-uroot", "-N", "-B", database, "-e", statements],
                          check=True, capture_output=True, text=True).stdout


def _target_columns(socket: str, database: str) -> dict[str, list[str]]:
    out = _mysql(socket, database, "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema."
                 f"COLUMNS WHERE TABLE_SCHEMA = '{database}' ORDER BY ORDINAL_POSITION")
    columns = defaultdict(list)
    for line in out.splitlines():
        table, column = line.split("\t")
        columns[table].append(column)
    return columns


def _secondary_indexes(socket: str, database: str) -> dict[str, dict[str, str]]:
    """table -> index name -> its definition for ALTER TABLE ADD, from information_schema."""
    out = _mysql(socket, database, "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, "
                 "IFNULL(SUB_PART, '') FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                 f"'{database}' AND INDEX_NAME <> 'PRIMARY' ORDER BY TABLE_NAME, INDEX_NAME, "
                 "SEQ_IN_INDEX")
    parts, unique = defaultdict(lambda: defaultdict(list)), {}
    for line in out.splitlines():
        table, index, non_unique, column, sub_part = line.split("\t")
        parts[table][index].append(f"`{column}`" + (f"({sub_part})" if sub_part else ""))
        unique[table, index] = non_unique == "0"
    return {table: {index: ("UNIQUE " if unique[table, index] else "") +
                    f"INDEX `{index}` ({', '.join(columns)})"
                    for index, columns in indexes.items()} for table, indexes in parts.items()}


def _check_schemas(source: sqlite3.Connection, tables: list[str], target: dict) -> None:
    for table in tables:
        ours = [row[1] for row in source.execute(f"PRAGMA table_info(`{table}`)")]
        if table not in target or set(ours) - set(target[table]):
            raise ValueError(f"MLMD table {table}: SQLite columns {ours} do not fit MySQL's "
                             f"{target.get(table)}: the two stores' schema versions differ")


def copy(sqlite_path: str, socket: str, staging: str, database: str) -> dict[str, int]:
    """Load the rows of the SQLite store into `staging` (an MLMD database MLMD just created, on
    the server at `socket`), then move its tables into the new database `database`; returns
    rows per table. `database` must not exist."""
    source = sqlite3.connect(sqlite_path)
    tables = [name for (name,) in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'") if name not in SKIPPED]
    target = _target_columns(socket, staging)
    _check_schemas(source, tables, target)
    indexes, counts = _secondary_indexes(socket, staging), {}
    statements = ["SET FOREIGN_KEY_CHECKS = 0", "SET UNIQUE_CHECKS = 0"]
    with tempfile.TemporaryDirectory() as work:
        for table in tables:
            path = os.path.join(work, f"{table}.tsv")
            columns = [row[1] for row in source.execute(f"PRAGMA table_info(`{table}`)")]
            counts[table] = _export(source, table, columns, path)
            dropped = indexes.get(table, {})
            statements += [f"TRUNCATE TABLE `{table}`"]
            if dropped:
                statements.append(f"ALTER TABLE `{table}` " + ", ".join(
                    f"DROP INDEX `{name}`" for name in dropped))
            statements.append(f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table}` "
                              "CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY "
                              f"'\\\\' ({', '.join(f'`{c}`' for c in columns)})")
            if dropped:
                statements.append(f"ALTER TABLE `{table}` " + ", ".join(
                    f"ADD {definition}" for definition in dropped.values()))
        _mysql(socket, staging, ";\n".join(statements))
    _mysql(socket, "", f"CREATE DATABASE `{database}`; RENAME TABLE " + ", ".join(
        f"`{staging}`.`{table}` TO `{database}`.`{table}`" for table in target)
        + f"; DROP DATABASE `{staging}`")
    return counts


if __name__ == "__main__":
    print(copy(*sys.argv[1:5]))
