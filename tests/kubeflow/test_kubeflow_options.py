"""Compile options that need no compile: MLMD connection, names, data root, CLI errors."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from kubeflow import connection
from kubeflow.compile import (
    CompileError,
    CompileOptions,
    image_data_root,
    kfp_pipeline_name,
    pod_settings,
)
from pipeline.commands.compile import compile as compile_command
from pipeline.settings import Settings


def _write(tmp_path, config: dict) -> str:
    path = tmp_path / "mysql.json"
    path.write_text(json.dumps(config))
    return str(path)


def test_default_connection_is_the_in_cluster_grpc_service():
    assert json.loads(connection.cluster_spec()) == {
        "grpc": "metadata-grpc-service.kubeflow:8080"}


def test_mysql_config_keeps_only_the_password_variable_name(tmp_path):
    path = _write(tmp_path, {"host": "mysql.db", "port": 3306, "database": "mlmd",
                             "user": "ledger", "password_env": "MLMD_PASSWORD"})
    assert json.loads(connection.cluster_spec(mysql_config=path)) == {"mysql": {
        "host": "mysql.db", "port": 3306, "database": "mlmd", "user": "ledger",
        "password_env": "MLMD_PASSWORD"}}


@pytest.mark.parametrize("config, message", [
    ({"host": "h", "database": "d", "password": "hunter2"}, "password_env"),
    ({"host": "h", "database": "d", "pasword_env": "X"}, "unknown keys"),
    ({"host": "h"}, "missing"),
])
def test_bad_mysql_configs_are_refused(tmp_path, config, message):
    with pytest.raises(connection.MetadataOptionError, match=message):
        connection.mysql_spec(_write(tmp_path, config))


def test_sqlite_is_refused_for_a_cluster_and_grpc_mysql_pass():
    with pytest.raises(connection.MetadataOptionError, match="sqlite"):
        connection.check_cluster_spec('{"sqlite": "/tmp/metadata.sqlite"}')
    connection.check_cluster_spec('{"grpc": "h:1"}')
    connection.check_cluster_spec('{"mysql": {"host": "h", "database": "d"}}')


def test_grpc_address_must_be_host_and_port():
    with pytest.raises(connection.MetadataOptionError, match="HOST:PORT"):
        connection.grpc_spec("metadata-grpc-service.kubeflow")


def test_pipeline_name_is_folded_into_kfp_alphabet(penguins):
    assert kfp_pipeline_name(replace(penguins, name="Credit_Risk")) == "ledger-credit-risk"


def test_data_root_default_is_the_dataset_inside_the_image(penguins, tmp_path):
    assert image_data_root(penguins) == "/opt/tfx-ledger/data/penguins"
    outside = replace(penguins, path=str(tmp_path / "loans.csv"))
    with pytest.raises(CompileError, match="--data-root"):
        image_data_root(outside)


def test_cli_refuses_a_stored_password_before_compiling(tmp_path):
    path = _write(tmp_path, {"host": "h", "database": "d", "password": "hunter2"})
    result = CliRunner().invoke(compile_command, ["--metadata-mysql-config", path,
                                                  "--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 2 and "password_env" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_refuses_two_metadata_connections(tmp_path):
    path = _write(tmp_path, {"host": "h", "database": "d"})
    result = CliRunner().invoke(compile_command, ["--metadata-grpc", "h:8080",
                                                  "--metadata-mysql-config", path])
    assert result.exit_code == 2 and "not both" in result.output


def test_pods_get_settings_naming_the_mounted_keys_only_both_and_absolute():
    options = CompileOptions(image="i", metadata_connection='{"grpc": "h:1"}',
                             serving_root="/mnt/models", model_signing_key="/s/model")
    assert pod_settings(options) is None  # no keys named: records unsigned, as before
    signed = replace(options, service_key="/s/service", allowed_signers="/s/allowed_signers")
    settings = Settings.from_json(pod_settings(signed))
    assert (settings.service_key_path, settings.allowed_signers_path, settings.serving_root,
            settings.model_key_path) == ("/s/service", "/s/allowed_signers", "/mnt/models",
                                         "/s/model")
    # A pod's key is never made or listed by the pipeline: it must be mounted and listed.
    assert settings.service_key_managed and not settings.uses_home_allowed_signers
    with pytest.raises(CompileError, match="give --allowed-signers-file too"):
        pod_settings(replace(options, service_key="/s/service"))
    with pytest.raises(CompileError, match="--service-key-file keys/service: give the absolute"):
        pod_settings(replace(signed, service_key="keys/service"))
