"""Model signatures: model-signing bundles over every file, P-256 keys, allowed signers."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from pipeline.settings import resolve
from pipeline.signing import models
from pipeline.signing.allowed_signers import AllowedSigners
from pipeline.signing.keys import ECDSA_P256, KeyFileError, ensure_key, load_signing_key
from pipeline.signing.models import ModelKeys, ModelSignatureError

WEIGHTS = "variables/variables.data-00000-of-00001"


@pytest.fixture
def model_dir(tmp_path) -> str:
    root = tmp_path / "1"
    (root / "variables").mkdir(parents=True)
    for rel in ("saved_model.pb", WEIGHTS, "variables/variables.index", "manifest.json"):
        (root / rel).write_bytes(f"{rel} ".encode() * 40)
    return str(root)


@pytest.fixture
def settings(tmp_path):
    return resolve(home=str(tmp_path / "home"))


@pytest.fixture
def key(settings):
    """The home's model key, made on first use and listed in the home's allowed signers."""
    return models.model_signing_key(settings)


@pytest.fixture
def trusted(key, settings) -> AllowedSigners:
    return AllowedSigners.load(settings.allowed_signers_path)


def _pem(path, private_key) -> str:
    path.write_bytes(private_key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return str(path)


def test_model_key_is_p256_private_to_the_owner_listed_and_kept_on_later_use(key, settings):
    assert key.path == os.path.join(settings.home, "keys", "ledger_models_ecdsa")
    assert stat.S_IMODE(os.stat(key.path).st_mode) == 0o600 and key.key_type == ECDSA_P256
    [entry] = AllowedSigners.load(settings.allowed_signers_path).entries
    assert entry.principals == ("pipeline",) and entry.fingerprint == key.fingerprint
    assert entry.namespaces == ("tfx-ledger-models",)
    again = models.model_signing_key(settings)
    assert again.fingerprint == key.fingerprint
    assert len(AllowedSigners.load(settings.allowed_signers_path).entries) == 1


def test_signature_covers_every_file_as_an_in_toto_statement_and_verifies(model_dir, key,
                                                                          trusted):
    assert models.sign_model(model_dir, key) == key.fingerprint
    bundle = json.load(open(os.path.join(model_dir, models.SIGNATURE_FILE)))
    assert bundle["verificationMaterial"]["publicKey"]["hint"] == models.key_hint(key.public_key)
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    signed = {entry["name"] for entry in statement["predicate"]["resources"]}
    assert signed == {"saved_model.pb", WEIGHTS, "variables/variables.index", "manifest.json"}
    checked = models.verify_model(model_dir, trusted)
    assert (checked.fingerprint, checked.principals, checked.files) == (
        key.fingerprint, ("pipeline",), 4)


@pytest.mark.parametrize("change, named", [
    (lambda d: open(os.path.join(d, WEIGHTS), "r+b").write(b"X"),
     f"changed since signing: {{d}}/{WEIGHTS}"),
    (lambda d: open(os.path.join(d, "extra.bin"), "w").write("x"),
     "not signed (extra): {d}/extra.bin"),
    (lambda d: os.remove(os.path.join(d, "manifest.json")),
     "signed but missing: {d}/manifest.json"),
], ids=["flipped-byte", "extra-file", "missing-file"])
def test_a_changed_file_fails_naming_it(model_dir, key, trusted, change, named):
    models.sign_model(model_dir, key)
    change(model_dir)
    with pytest.raises(ModelSignatureError) as failed:
        models.verify_model(model_dir, trusted)
    assert named.format(d=model_dir) in str(failed.value)


def test_a_model_re_signed_by_an_unknown_key_is_refused(model_dir, trusted, tmp_path):
    other, _ = ensure_key(str(tmp_path / "attacker" / "k"), kind=ECDSA_P256)
    models.sign_model(model_dir, other)
    with pytest.raises(ModelSignatureError, match="signed by an unknown key .*lists no such"):
        models.verify_model(model_dir, trusted)


def test_a_forged_signature_value_is_refused(model_dir, key, trusted):
    models.sign_model(model_dir, key)
    path = os.path.join(model_dir, models.SIGNATURE_FILE)
    bundle = json.load(open(path))
    sig = bundle["dsseEnvelope"]["signatures"][0]
    sig["sig"] = ("A" if sig["sig"][0] != "A" else "B") + sig["sig"][1:]
    json.dump(bundle, open(path, "w"))
    with pytest.raises(ModelSignatureError, match="does not verify"):
        models.verify_model(model_dir, trusted)


def test_a_p256_key_listed_for_records_and_receipts_cannot_sign_models(model_dir, settings,
                                                                       tmp_path):
    person, _ = ensure_key(str(tmp_path / "alice"), kind=ECDSA_P256)
    os.makedirs(settings.home, exist_ok=True)
    with open(settings.allowed_signers_path, "w") as handle:
        handle.write(f'alice namespaces="tfx-ledger" {person.public_line}\n')
    models.sign_model(model_dir, person)
    with pytest.raises(ModelSignatureError, match="lists no such .* for namespace "
                                                  "tfx-ledger-models"):
        models.verify_model(model_dir, AllowedSigners.load(settings.allowed_signers_path))


def test_an_unsigned_model_is_refused_naming_the_signature_file(model_dir, trusted):
    with pytest.raises(ModelSignatureError, match=f"{model_dir}/model.sig is missing"):
        models.verify_model(model_dir, trusted)


def test_a_key_outside_its_validity_window_at_push_time_is_refused(model_dir, key, settings):
    from datetime import datetime, timezone
    line = open(settings.allowed_signers_path).read()
    with open(settings.allowed_signers_path, "w") as handle:
        handle.write(line.replace('namespaces=', 'valid-before="20260101",namespaces='))
    models.sign_model(model_dir, key)
    windowed = AllowedSigners.load(settings.allowed_signers_path)
    assert models.verify_model(model_dir, windowed, datetime(2025, 6, 1, tzinfo=timezone.utc))
    with pytest.raises(ModelSignatureError, match="was not valid at 2026-11"):
        models.verify_model(model_dir, windowed, datetime(2026, 11, 30, tzinfo=timezone.utc))


def test_key_errors_name_the_file_and_nothing_is_written(tmp_path, model_dir, settings):
    ed = _pem(tmp_path / "ed.pem", ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(KeyFileError, match=f"{ed}: a ssh-ed25519 key; model signing needs "
                                           "ecdsa-sha2-nistp256"):
        models.sign_model(model_dir, load_signing_key(ed))
    managed = settings.__class__(**{**settings.__dict__, "model_key_managed": True,
                                    "model_key_path": str(tmp_path / "absent")})
    with pytest.raises(KeyFileError, match=f"{tmp_path}/absent: cannot read the key file"):
        ModelKeys.of(managed, pushes=True)
    p384 = _pem(tmp_path / "p384.pem", ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(KeyFileError, match=f"{p384}: unsupported key type"):
        models.model_signing_key(settings.__class__(**{**managed.__dict__,
                                                       "model_key_path": p384}))
    assert not os.path.exists(os.path.join(model_dir, models.SIGNATURE_FILE))
    assert not os.path.exists(settings.allowed_signers_path)
