"""Signed pushes: the registry signs each pushed version, load and `ledger verify` check it."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from pipeline import digest
from pipeline.cli import cli
from pipeline.registry import DigestMismatchError, Registry
from pipeline.settings import resolve
from pipeline.signing import models
from pipeline.signing.keys import ECDSA_P256, ensure_key
from pipeline.signing.models import ModelKeys

MODEL = "penguins"
KEY_ENV = "LEDGER_TEST_SIGNING_KEY"
WEIGHTS = "variables/variables.data-00000-of-00001"


@pytest.fixture
def signing_registry(registry, spec, home, monkeypatch):
    """The registry as the CLI opens it: signs pushes with the home's key, trusts only that."""
    monkeypatch.setenv(KEY_ENV, "test-key")
    return Registry.open(spec, must_exist=True, signing_key_env=KEY_ENV,
                         model_keys=ModelKeys.of(resolve(home=home), pushes=True))


@pytest.fixture
def deployed(signing_registry, make_model, serving_root):
    """penguins@1 registered, approved and pushed by the signing registry."""
    registry = signing_registry
    model = make_model()
    info = registry.register_version(MODEL, model.artifact_id, model.uri, model.digest)
    registry.transition(MODEL, 1, "validated", actor="evaluator", reason="blessed")
    registry.approve(MODEL, 1, by="alice", reason="ok", current_digest=model.digest)
    result = registry.push(MODEL, info.version, serving_root, actor="alice")
    return registry, result.destination


@pytest.fixture
def verify_cli(home):
    def run():
        return CliRunner().invoke(cli, ["--home", home, "--signing-key-env", KEY_ENV, "verify"],
                                  catch_exceptions=False)

    return run


def test_push_signs_inside_the_version_dir_without_touching_layout_or_digest(deployed,
                                                                             serving_root):
    registry, destination = deployed
    info = registry.version(MODEL, 1)
    assert os.path.isfile(os.path.join(destination, "model.sig"))
    # TF Serving sees only numeric version directories under the model's base path.
    assert os.listdir(os.path.join(serving_root, MODEL)) == ["1"]
    assert digest.model_digest(destination) == info.model_digest
    manifest = json.load(open(os.path.join(destination, "manifest.json")))
    assert "model.sig" not in manifest["files"]
    assert info.model_signer == registry.model_keys.signer.fingerprint
    assert info.model_signer.startswith("SHA256:")
    assert registry.load_path(f"{MODEL}@production").signed_by == info.model_signer


def test_flipped_byte_in_weights_fails_verify_naming_the_file(deployed, verify_cli):
    _, destination = deployed
    assert verify_cli().exit_code == 3  # files verify; this fixture's records are legacy HMAC
    weights = os.path.join(destination, WEIGHTS)
    with open(weights, "r+b") as handle:
        first = handle.read(1)
        handle.seek(0)
        handle.write(bytes([first[0] ^ 1]))
    result = verify_cli()
    assert result.exit_code == 2
    assert "FAILED: 1 pushed version checked" in result.stdout
    assert f"penguins@1: {weights} changed" in result.stdout


def test_model_re_signed_by_an_unknown_key_is_refused_at_load_and_by_verify(
        deployed, verify_cli, tmp_path):
    registry, destination = deployed
    # Files untouched, so the manifest and digests hold: only the signer changes.
    models.sign_model(destination, ensure_key(str(tmp_path / "mallory"), kind=ECDSA_P256)[0])
    with pytest.raises(DigestMismatchError, match="signed by an unknown key"):
        registry.load_path(f"{MODEL}@1")
    result = verify_cli()
    assert result.exit_code == 2 and "signed by an unknown key" in result.stdout


def test_a_deleted_signature_is_refused_when_the_version_was_pushed_signed(deployed):
    registry, destination = deployed
    os.remove(os.path.join(destination, "model.sig"))
    with pytest.raises(DigestMismatchError, match=f"{destination}/model.sig is missing"):
        registry.load_path(f"{MODEL}@production")


def test_a_version_pushed_before_signing_still_loads_and_verify_calls_it_unsigned(
        add_version, spec, home, verify_cli):
    add_version("deployed")  # the plain registry fixture: no model keys, an unsigned push
    trusting = Registry.open(spec, model_keys=ModelKeys.of(resolve(home=home)))
    assert trusting.load_path(f"{MODEL}@1").signed_by == ""
    result = verify_cli()
    assert result.exit_code == 3  # nothing failed, but legacy records and files are not proven
    assert "1 unsigned (legacy)" in result.stdout
    assert "penguins@1: 3 files, unsigned (pushed before model signing)" in result.stdout


def test_rollback_refuses_a_target_whose_signature_fails(deployed, make_model, serving_root):
    registry, first = deployed
    model = make_model()
    registry.register_version(MODEL, model.artifact_id, model.uri, model.digest)
    registry.transition(MODEL, 2, "validated", actor="evaluator", reason="blessed")
    registry.approve(MODEL, 2, by="alice", reason="ok", current_digest=model.digest)
    registry.push(MODEL, 2, serving_root, actor="alice")
    os.remove(os.path.join(first, "model.sig"))
    with pytest.raises(Exception, match="model.sig is missing"):
        registry.rollback(MODEL, to_version=1, actor="bob", reason="v2 misbehaves")
    assert registry.resolve(f"{MODEL}@production").version == 2


@pytest.mark.parametrize("kind", ["ed25519", "missing"])
def test_a_bad_model_key_refuses_the_push_naming_the_file_and_writes_nothing(
        add_version, registry, home, serving_root, tmp_path, kind):
    from pipeline.cli import cli

    add_version("approved")
    key = str(tmp_path / "model-key")
    if kind == "ed25519":
        ensure_key(key, kind="ssh-ed25519")
    result = CliRunner().invoke(cli, ["--model-key", key, "--home", home,
                                      "--signing-key-env", KEY_ENV, "push", f"{MODEL}@1"])
    assert result.exit_code == 1
    reason = "a ssh-ed25519 key, expected ecdsa-sha2-nistp256" if kind == "ed25519" else (
        "cannot read the key file")
    assert result.stderr.startswith(f"error: {key}: {reason}"), result.stderr
    assert [t.to_stage for t in registry.history(MODEL, 1)] == [
        "candidate", "validated", "approved"]
    assert not os.path.exists(serving_root)
