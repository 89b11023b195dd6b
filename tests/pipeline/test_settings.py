"""One settings object: defaults in the home, explicit values over them, no secret serialised."""

from __future__ import annotations

import json
import os

import click
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.commands.context import settings
from pipeline.settings import Settings, resolve


def test_defaults_live_in_the_home_and_explicit_values_win(tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_SIGNING_KEY", "legacy-secret")
    home = str(tmp_path / "h")
    found = resolve(home=home)
    assert json.loads(found.metadata_spec) == {"sqlite": f"{home}/metadata.sqlite"}
    assert found.serving_root == f"{home}/serving"
    assert found.service_key_path == f"{home}/keys/ledger_service_ed25519"
    assert found.allowed_signers_path == f"{home}/allowed_signers"
    assert found.uses_home_allowed_signers and not found.service_key_managed
    assert found.hmac_key == b"legacy-secret" and found.key_path == ""
    chosen = resolve(home=home, serving_root=str(tmp_path / "srv"), key="~/k",
                     allowed_signers=str(tmp_path / "as"), service_key=str(tmp_path / "sk"))
    assert chosen.serving_root == f"{tmp_path}/srv"
    assert chosen.key_path == os.path.expanduser("~/k")
    assert chosen.service_key_managed and not chosen.uses_home_allowed_signers


def test_serialised_settings_round_trip_without_the_hmac_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGER_SIGNING_KEY", "legacy-secret")
    found = resolve(home=str(tmp_path))
    text = found.to_json()
    assert "legacy-secret" not in text and "hmac" not in text
    assert Settings.from_json(text) == found


def test_group_options_reach_commands_and_a_command_option_overrides(tmp_path):
    seen = []

    @cli.command("show-settings-for-test")
    @click.option("--home", default=None)
    def probe(home):
        seen.append(settings(home=home))

    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["--home", str(tmp_path / "a"), "--serving-root",
                                     str(tmp_path / "srv"), "--key", "/keys/alice",
                                     "show-settings-for-test"], env={"LEDGER_HOME": ""})
        assert result.exit_code == 0, result.output
        result = runner.invoke(cli, ["--home", str(tmp_path / "a"), "show-settings-for-test",
                                     "--home", str(tmp_path / "b")],
                               env={"LEDGER_KEY": "/keys/bob"})
        assert result.exit_code == 0, result.output
    finally:
        cli.commands.pop("show-settings-for-test")
    assert (seen[0].home, seen[0].serving_root, seen[0].key_path) == (
        f"{tmp_path}/a", f"{tmp_path}/srv", "/keys/alice")
    assert (seen[1].home, seen[1].serving_root, seen[1].key_path) == (
        f"{tmp_path}/b", f"{tmp_path}/b/serving", "/keys/bob")
