"""benchmarks/copy_store.py: a SQLite store copied into MariaDB reads back the same through MLMD."""

from __future__ import annotations

import sqlite3

import pytest

from benchmarks import make_synthetic_store
from benchmarks.copy_store import copy
from benchmarks.lineage_stores import _grant
from pipeline.lineage import Lineage
from pipeline.metadata import open_store, sqlite_spec
from pipeline.registry.reader import RegistryReader


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("copy-store") / "synthetic.sqlite")
    make_synthetic_store.build(open_store(sqlite_spec(path)), 20, 2, 5, "/synthetic")
    return path


def test_copied_store_answers_like_its_source_and_verifies(mariadb, source):
    open_store(mariadb.create_database("copied_loading"))  # MLMD's own MySQL schema
    counts = copy(source, mariadb.socket_path, "copied_loading", "copied")
    _grant(mariadb, "copied")
    copied, original = mariadb.database_spec("copied"), sqlite_spec(source)
    assert "copied_loading" not in mariadb.sql("SHOW DATABASES").split()
    for table in ("Execution", "Event", "EventPath", "ArtifactProperty", "Attribution"):
        rows = int(mariadb.sql(f"SELECT COUNT(*) FROM `{table}`", database="copied"))
        assert rows == counts[table] > 0, table
    assert (RegistryReader.open(copied).versions("model-001")
            == RegistryReader.open(original).versions("model-001"))
    trace = Lineage.open(copied).trace("model-001@production")
    assert trace == Lineage.open(original).trace("model-001@production")
    assert trace.data.raw_data_uri.startswith("/synthetic/data/")
    report, expected = RegistryReader.open(copied).verify(), RegistryReader.open(original).verify()
    assert report.ok and report.records_checked == expected.records_checked > 0, report.problems


def test_a_store_whose_columns_mlmd_s_mysql_schema_lacks_is_refused(mariadb, source, tmp_path):
    odd = str(tmp_path / "odd.sqlite")
    with sqlite3.connect(source) as original, sqlite3.connect(odd) as target:
        original.backup(target)
        target.execute("ALTER TABLE Artifact ADD COLUMN lineage_note TEXT")
    open_store(mariadb.create_database("odd_loading"))
    with pytest.raises(ValueError, match="MLMD table Artifact: SQLite columns .*lineage_note"):
        copy(odd, mariadb.socket_path, "odd_loading", "odd")
    assert "odd" not in mariadb.sql("SHOW DATABASES").split()
