"""Serving verifies the model signature of the real penguins SavedModel before it answers."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest
from pipeline.metadata import sqlite_spec
from pipeline.paths import LedgerPaths
from pipeline.registry import DigestMismatchError, Registry
from pipeline.serving.predictor import Predictor
from pipeline.settings import resolve
from pipeline.signing import models
from pipeline.signing.allowed_signers import AllowedSigners
from pipeline.signing.keys import ECDSA_P256, ensure_key
from pipeline.signing.models import ModelKeys


@pytest.fixture
def signed_copy(shared_registry, tmp_path) -> LedgerPaths:
    """A home whose penguins@1 is a copy of the real SavedModel, pushed and signed there."""
    source = shared_registry.version("penguins", 1).pushed_destination
    model_dir = str(tmp_path / "model")
    shutil.copytree(source, model_dir, ignore=shutil.ignore_patterns("manifest.json", "model.sig"))
    home = LedgerPaths(str(tmp_path / "home"))
    os.makedirs(home.home)
    registry = Registry.open(sqlite_spec(home.metadata_path), must_exist=False,
                             model_keys=ModelKeys.of(resolve(home=home.home), pushes=True))
    model_type = registry.store.put_artifact_type(
        pb.ArtifactType(name="Model", base_type=pb.ArtifactType.MODEL))
    [artifact_id] = registry.store.put_artifacts([pb.Artifact(type_id=model_type, uri=model_dir)])
    model_digest = digest.model_digest(model_dir)
    registry.register_version("penguins", artifact_id, model_dir, model_digest,
                              push_source_uri=model_dir)
    registry.transition("penguins", 1, "validated", actor="test", reason="copy")
    registry.approve("penguins", 1, by="test", reason="copy", current_digest=model_digest)
    registry.push("penguins", 1, home.serving_root, actor="test")
    return home


def test_the_shared_run_pushed_a_signed_version_that_verifies(shared_registry, served_home):
    info = shared_registry.version("penguins", 1)
    trusted = AllowedSigners.load(resolve(home=served_home.home).allowed_signers_path)
    checked = models.verify_model(info.pushed_destination, trusted)
    assert checked.fingerprint == info.model_signer != ""
    assert checked.principals == ("pipeline",)


def test_signed_model_loads_and_reports_its_signer(signed_copy):
    with Predictor.load("penguins@1", signed_copy, capture_rate=0.0) as predictor:
        assert predictor.loaded.signed_by == predictor.version.model_signer != ""
        [prediction] = predictor.predict([{"island": "Biscoe", "bill_length_mm": 48.0}])
        assert prediction.class_name in ("Adelie", "Chinstrap", "Gentoo")


def test_model_re_signed_by_an_unknown_key_is_refused_at_load(signed_copy, tmp_path,
                                                              ledger_argv, subprocess_env):
    destination = os.path.join(signed_copy.serving_root, "penguins", "1")
    models.sign_model(destination, ensure_key(str(tmp_path / "other"), kind=ECDSA_P256)[0])
    with pytest.raises(DigestMismatchError, match="signed by an unknown key"):
        Predictor.load("penguins@1", signed_copy, capture_rate=0.0)
    instances = tmp_path / "rows.json"
    instances.write_text('{"instances": [{"island": "Biscoe"}]}')
    refused = subprocess.run([*ledger_argv, "--home", signed_copy.home, "predict", "penguins@1",
                              "--instances", str(instances)],
                             capture_output=True, text=True, env=subprocess_env, timeout=120)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: {destination}/model.sig is signed by an unknown key")


@pytest.mark.parametrize("problem", ["missing", "not-a-key"])
def test_a_service_key_that_cannot_sign_receipts_stops_predict_naming_it(fake_version, tmp_path,
                                                                          problem):
    from click.testing import CliRunner

    from pipeline.cli import cli

    _, home, _ = fake_version
    key = tmp_path / "service-key"
    if problem == "not-a-key":
        key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n")
    rows = tmp_path / "rows.json"
    rows.write_text('{"instances": [{"island": "Biscoe"}]}')
    result = CliRunner().invoke(cli, ["--service-key", str(key), "--home", home.home,
                                      "predict", "penguins@1", "--instances", str(rows)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {key}: "), result.stderr
    assert not os.path.exists(home.captures_root)
