"""Copy an MLMD SQLite store into an MLMD database on MariaDB/MySQL, table by table, in bulk.

    python -m benchmarks.copy_store SQLITE_PATH SOCKET DATABASE

Writing runs one by one through MLMD costs a round trip per row: on this machine MariaDB takes
about 4 runs/s that way, days for 100,000 runs. MLMD's schema is the same on both back ends, so
a store generated on SQLite (through MLMD) is loaded here with LOAD DATA: the same rows, ids and
properties, queried afterwards only through MLMD.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

SKIPPED = ("MLMDEnv", "sqlite_sequence")  # MLMD writes its own schema version on MySQL


def _cell(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def _export(source: sqlite3.Connection, table: str, path: str) -> list[str]:
    columns = [row[1] for row in source.execute(f"PRAGMA table_info(`{table}`)")]
    with open(path, "w", encoding="utf-8") as handle:
        for row in source.execute(f"SELECT * FROM `{table}`"):
            handle.write("\t".join(_cell(v) for v in row) + "\n")
    return columns


def copy(sqlite_path: str, socket: str, database: str) -> dict[str, int]:
    """Replace every MLMD table of `database` (schema already created by MLMD) with the rows of
    the SQLite store; returns rows per table."""
    client = shutil.which("mariadb") or shutil.which("mysql")
    source = sqlite3.connect(sqlite_path)
    tables = [name for (name,) in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'") if name not in SKIPPED]
    counts, statements = {}, ["SET FOREIGN_KEY_CHECKS = 0", "SET UNIQUE_CHECKS = 0"]
    with tempfile.TemporaryDirectory() as work:
        for table in tables:
            path = os.path.join(work, f"{table}.tsv")
            columns = _export(source, table, path)
            counts[table] = source.execute(f"SELECT COUNT(*) FROM `{table}`").fetchone()[0]
            statements += [f"TRUNCATE TABLE `{table}`",
                           f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table}` "
                           f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                           f"({', '.join(f'`{c}`' for c in columns)})"]
        subprocess.run([client, "--no-defaults", "--local-infile=1", f"--socket={socket}",
                        "-uroot", database, "-e", ";\n".join(statements)],
                       check=True, capture_output=True, text=True)
    return counts


if __name__ == "__main__":
    print(copy(*sys.argv[1:4]))
