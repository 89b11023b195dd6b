"""A store that is not an MLMD database is one error naming the file, and is left untouched."""
from __future__ import annotations

import json
import os
import sqlite3

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.metadata import StoreOpenError, open_store, sqlite_spec
from tests.support.imports import imported_by
from tests.support.mariadb import free_port


def _garbage(path):
    path.write_bytes(b"garbage")


def _empty(path):
    path.write_bytes(b"")


def _directory(path):
    path.mkdir()


def _truncated(path):
    open_store(sqlite_spec(str(path)))  # a real, empty MLMD store
    path.write_bytes(path.read_bytes()[:5000])


def _foreign_sqlite(path):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (id INTEGER)")


BAD_STORES = {
    _garbage: "is not an MLMD store: not a SQLite database (it starts b'garbage')",
    _empty: "is an empty file, not an MLMD store",
    _directory: "is a directory, not an MLMD store",
    _truncated: "is a truncated SQLite database: 5000 bytes, its header says",
    _foreign_sqlite: "is a SQLite database but not an MLMD store",
}


def _contents(path):
    return sorted(os.listdir(path)) if path.is_dir() else path.read_bytes()


@pytest.mark.parametrize("make_bad_store", BAD_STORES, ids=lambda make: make.__name__[1:])
@pytest.mark.parametrize("command", [["models"], ["history", "penguins"], ["verify"],
                                     ["trace", "penguins@1"]])
def test_a_bad_store_is_one_line_naming_the_file_and_stays_unchanged(
        tmp_path, make_bad_store, command):
    store = tmp_path / "metadata.sqlite"
    make_bad_store(store)
    before = _contents(store)
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), *command])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {store} {BAD_STORES[make_bad_store]}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert _contents(store) == before and sorted(os.listdir(tmp_path)) == ["metadata.sqlite"]


# A run creates its tables in an empty file, so only the others are refused.
RUN_REFUSES = [make for make in BAD_STORES if make is not _empty]


@pytest.mark.parametrize("make_bad_store", RUN_REFUSES, ids=lambda make: make.__name__[1:])
def test_run_refuses_a_bad_store_before_any_log_or_pipeline(tmp_path, make_bad_store):
    # --force: the reuse check (which opens the store itself) is skipped, TFX's own
    # connection would be the first to open it.
    store = tmp_path / "metadata.sqlite"
    make_bad_store(store)
    before = _contents(store)
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "run", "--force"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {store} {BAD_STORES[make_bad_store]}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert _contents(store) == before and sorted(os.listdir(tmp_path)) == ["metadata.sqlite"]


def test_run_on_a_garbage_store_fails_without_importing_tfx(tmp_path):
    store = tmp_path / "metadata.sqlite"
    _garbage(store)
    code, out, err, heavy = imported_by(["--home", str(tmp_path), "run", "--force"])
    assert (code, out) == (1, "")
    assert err == f"error: {store} {BAD_STORES[_garbage]}\n"
    assert not {"tensorflow", "tfx", "apache_beam"} & set(heavy), heavy
    assert store.read_bytes() == b"garbage" and sorted(os.listdir(tmp_path)) == ["metadata.sqlite"]


def test_a_writer_refuses_a_garbage_file_instead_of_creating_tables_in_it(tmp_path):
    store = tmp_path / "metadata.sqlite"
    _garbage(store)
    with pytest.raises(StoreOpenError, match="not a SQLite database"):
        open_store(sqlite_spec(str(store)), must_exist=False)
    assert store.read_bytes() == b"garbage"


def test_an_empty_file_still_becomes_a_store_for_a_writer(tmp_path):
    store = tmp_path / "metadata.sqlite"
    _empty(store)
    open_store(sqlite_spec(str(store)), must_exist=False).get_artifacts()
    assert store.read_bytes().startswith(b"SQLite format 3\x00")


def test_a_closed_mysql_port_is_one_line_naming_host_and_port(tmp_path):
    port = free_port()
    spec = {"mysql": {"host": "127.0.0.1", "port": port, "database": "mlmd", "user": "ledger"}}
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "--metadata", json.dumps(spec),
                                      "models"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot connect to MLMD on MySQL at 127.0.0.1:{port}")
    assert result.stderr.count("\n") == 1
