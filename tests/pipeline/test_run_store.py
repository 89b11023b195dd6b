"""A local run records in the home's SQLite store only: any other store named to it is refused."""
from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.metadata import sqlite_spec
from pipeline.run_store import records_in_home_store
from pipeline.settings import resolve
from tests.support.imports import imported_by

MYSQL_ADVICE = ("unset LEDGER_METADATA and drop --metadata, or run the compiled pipeline "
                "against that store (ledger compile, then ledger kfp-run, with "
                "--metadata-mysql-config FILE holding the spec)")


def _refusal(command: str, home, store: str, advice: str) -> str:
    return (f"error: {command} records runs in the home's MLMD store ({home}/metadata.sqlite), "
            f"not in the store --metadata/LEDGER_METADATA names ({store}): {advice}\n")


def _invoke(home, spec: str, named_by: str, *command):
    if named_by == "option":
        return CliRunner().invoke(cli, ["--home", str(home), "--metadata", spec, *command])
    return CliRunner().invoke(cli, ["--home", str(home), *command], env={"LEDGER_METADATA": spec})


@pytest.mark.parametrize("named_by", ["env", "option"])
def test_run_refuses_a_mysql_store_before_any_log_or_pipeline(tmp_path, mariadb, named_by):
    database = f"run_refused_{named_by}"
    spec = json.dumps(mariadb.create_database(database))
    result = _invoke(tmp_path, spec, named_by, "run", "--force")
    assert result.exit_code == 1, result.output
    where = f"mysql://127.0.0.1:{mariadb.port}/{database}"
    assert result.stderr == _refusal("ledger run", tmp_path, where, MYSQL_ADVICE)
    assert os.listdir(tmp_path) == []  # no logs/, no store, no keys
    assert mariadb.sql("SHOW TABLES", database=database) == ""  # MLMD never connected


def test_the_refusal_starts_neither_tensorflow_nor_tfx(tmp_path):
    spec = {"mysql": {"host": "db.example", "port": 3306, "database": "mlmd", "user": "ledger"}}
    env = {**os.environ, "LEDGER_METADATA": json.dumps(spec)}
    code, out, err, heavy = imported_by(["--home", str(tmp_path), "run"], env=env)
    assert (code, out) == (1, "")
    assert err == _refusal("ledger run", tmp_path, "mysql://db.example:3306/mlmd", MYSQL_ADVICE)
    assert not {"tensorflow", "tfx", "apache_beam", "ml_metadata"} & set(heavy), heavy


@pytest.mark.parametrize("command", [["retrain"], ["drift", "penguins", "--retrain"]])
def test_retrain_refuses_another_sqlite_store_before_the_drift_check(tmp_path, command):
    other = tmp_path / "elsewhere" / "metadata.sqlite"
    home = tmp_path / "home"
    result = _invoke(home, sqlite_spec(str(other)), "option", *command)
    assert result.exit_code == 1, result.output
    name = "ledger " + " ".join(part for part in command if part != "penguins")
    advice = ("unset LEDGER_METADATA and drop --metadata, or use --home DIR for the store "
              "DIR/metadata.sqlite")
    assert result.stderr == _refusal(name, home, str(other), advice)
    assert os.listdir(tmp_path) == []


def test_the_home_store_named_another_way_is_the_home_store(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    os.symlink(home, tmp_path / "link")
    monkeypatch.chdir(tmp_path)
    for name in ("home/metadata.sqlite", f"{tmp_path}/link/metadata.sqlite",
                 f"{tmp_path}/x/../home/./metadata.sqlite"):
        assert records_in_home_store(resolve(home=str(home), metadata_spec=json.dumps(
            {"sqlite": name}))), name
    for spec in ({"sqlite": "home/other.sqlite"}, {"grpc": "localhost:8080"}, ["home"]):
        assert not records_in_home_store(resolve(home=str(home),
                                                 metadata_spec=json.dumps(spec))), spec


def test_run_named_its_own_store_goes_on_to_open_it(tmp_path, monkeypatch):
    # The spec names the home's file relatively: not refused, the run reaches the store itself
    # (here a garbage file, so it stops there, before TFX).
    (tmp_path / "metadata.sqlite").write_bytes(b"garbage")
    monkeypatch.chdir(tmp_path)
    result = _invoke(tmp_path, json.dumps({"sqlite": "metadata.sqlite"}), "env", "run", "--force")
    assert result.exit_code == 1
    assert result.stderr == (f"error: {tmp_path}/metadata.sqlite is not an MLMD store: not a "
                             "SQLite database (it starts b'garbage')\n")


def test_run_local_refuses_settings_naming_another_store(tmp_path, penguins):
    from pipeline.local_runner import run_local
    from pipeline.run_store import LocalRunStoreError

    settings = resolve(home=str(tmp_path), metadata_spec=json.dumps({"grpc": "localhost:8080"}))
    with pytest.raises(LocalRunStoreError, match=r"^run_local records runs in the home's MLMD "
                       r"store .*\(grpc://localhost:8080\): .*ledger compile --metadata-grpc"):
        run_local(penguins, settings.paths, settings=settings)
    assert os.listdir(tmp_path) == []
