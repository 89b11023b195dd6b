"""Model signatures: model-signing bundles over every file, P-256 service keys, clear key errors."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from pipeline.signing import models
from pipeline.signing.models import ModelKeyError, ModelKeys, ModelSignatureError

WEIGHTS = "variables/variables.data-00000-of-00001"


@pytest.fixture
def model_dir(tmp_path) -> str:
    root = tmp_path / "1"
    (root / "variables").mkdir(parents=True)
    for rel in ("saved_model.pb", WEIGHTS, "variables/variables.index", "manifest.json"):
        (root / rel).write_bytes(f"{rel} ".encode() * 40)
    return str(root)


@pytest.fixture
def key(tmp_path) -> str:
    return models.ensure_service_key(models.service_key_path(str(tmp_path / "home")))


def _pem(path, private_key) -> str:
    path.write_bytes(private_key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return str(path)


def test_service_key_is_p256_private_to_the_owner_and_kept_on_later_use(key, tmp_path):
    assert key == str(tmp_path / "home" / "keys" / "model-signing.pem")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    loaded = models.load_private_key(key)
    assert loaded.curve.name == "secp256r1"
    public = models.load_public_key(models.public_key_path(key))
    assert models.key_id(public) == models.key_id(loaded.public_key())
    before = open(key, "rb").read()
    assert models.ensure_service_key(key) == key and open(key, "rb").read() == before


def test_signature_covers_every_file_as_an_in_toto_statement_and_verifies(model_dir, key):
    signer = models.sign_model(model_dir, key)
    bundle = json.load(open(os.path.join(model_dir, models.SIGNATURE_FILE)))
    assert bundle["verificationMaterial"]["publicKey"]["hint"] == signer
    statement = json.loads(__import__("base64").b64decode(bundle["dsseEnvelope"]["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    signed = {entry["name"] for entry in statement["predicate"]["resources"]}
    assert signed == {"saved_model.pb", WEIGHTS, "variables/variables.index", "manifest.json"}
    checked = models.verify_model(model_dir, [models.public_key_path(key)])
    assert (checked.key_id, checked.files) == (signer, 4)


@pytest.mark.parametrize("change, named", [
    (lambda d: open(os.path.join(d, WEIGHTS), "r+b").write(b"X"),
     f"changed since signing: {{d}}/{WEIGHTS}"),
    (lambda d: open(os.path.join(d, "extra.bin"), "w").write("x"),
     "not signed (extra): {d}/extra.bin"),
    (lambda d: os.remove(os.path.join(d, "manifest.json")),
     "signed but missing: {d}/manifest.json"),
], ids=["flipped-byte", "extra-file", "missing-file"])
def test_a_changed_file_fails_naming_it(model_dir, key, change, named):
    models.sign_model(model_dir, key)
    change(model_dir)
    with pytest.raises(ModelSignatureError) as failed:
        models.verify_model(model_dir, [models.public_key_path(key)])
    assert named.format(d=model_dir) in str(failed.value)


def test_a_model_re_signed_by_an_unknown_key_is_refused(model_dir, key, tmp_path):
    other = models.ensure_service_key(str(tmp_path / "attacker" / "k.pem"))
    models.sign_model(model_dir, other)
    with pytest.raises(ModelSignatureError, match="signed by an unknown key"):
        models.verify_model(model_dir, [models.public_key_path(key)])


def test_a_forged_signature_value_is_refused(model_dir, key):
    models.sign_model(model_dir, key)
    path = os.path.join(model_dir, models.SIGNATURE_FILE)
    bundle = json.load(open(path))
    sig = bundle["dsseEnvelope"]["signatures"][0]
    sig["sig"] = ("A" if sig["sig"][0] != "A" else "B") + sig["sig"][1:]
    json.dump(bundle, open(path, "w"))
    with pytest.raises(ModelSignatureError, match="does not verify"):
        models.verify_model(model_dir, [models.public_key_path(key)])


def test_an_unsigned_model_is_refused_naming_the_signature_file(model_dir, key):
    with pytest.raises(ModelSignatureError, match=f"{model_dir}/model.sig is missing"):
        models.verify_model(model_dir, [models.public_key_path(key)])


def test_key_errors_name_the_file_and_the_problem(tmp_path, model_dir):
    missing = str(tmp_path / "absent.pem")
    with pytest.raises(ModelKeyError, match=f"{missing} does not exist"):
        models.sign_model(model_dir, missing)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(ModelKeyError, match=f"{garbage} is not an unencrypted PEM private key"):
        ModelKeys.managed(str(garbage))
    ed = _pem(tmp_path / "ed.pem", ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(ModelKeyError, match=f"{ed} holds an Ed25519 key; model signing needs "
                                            "ECDSA P-256"):
        models.sign_model(model_dir, ed)
    p384 = _pem(tmp_path / "p384.pem", ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ModelKeyError, match=f"{p384} is on curve secp384r1"):
        models.load_private_key(p384)
    unreadable = tmp_path / "a-directory.pem"  # unreadable even for root, unlike mode 000
    unreadable.mkdir()
    with pytest.raises(ModelKeyError, match=f"{unreadable} cannot be read: Is a directory"):
        models.sign_model(model_dir, str(unreadable))
    assert not os.path.exists(os.path.join(model_dir, models.SIGNATURE_FILE))


def test_an_existing_file_that_is_not_a_key_is_never_replaced(tmp_path):
    path = tmp_path / "keys" / "model-signing.pem"
    path.parent.mkdir()
    path.write_text("something else")
    with pytest.raises(ModelKeyError, match="not an unencrypted PEM private key"):
        models.ensure_service_key(str(path))
    assert path.read_text() == "something else"
