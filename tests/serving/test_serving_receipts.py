"""Receipts: Ed25519 signatures over the version and outputs, legacy HMACs, every refusal."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import os
import re
from datetime import datetime, timedelta, timezone

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest
from pipeline.serving import receipts
from pipeline.serving.receipt_checks import ReceiptTrust, verify_receipt
from pipeline.serving.receipts import Receipt, ReceiptError, ReceiptIssuer, UtcClock
from pipeline.settings import resolve
from pipeline.signing.allowed_signers import AllowedSigners
from pipeline.signing.identity import Signer, service_signer
from pipeline.signing.keys import ED25519, ensure_key

OUTPUTS = {"classes": "Gentoo", "class_ids": 2, "probabilities": [0.01, 0.02, 0.97]}


@pytest.fixture
def settings(fake_version):
    return resolve(home=fake_version[1].home, hmac_key_env=None)


@pytest.fixture
def signer(settings) -> Signer:
    """The serving identity: the home's service key (made on first use, listed as allowed)."""
    return service_signer(settings)


@pytest.fixture
def trust(signer, settings) -> ReceiptTrust:
    return ReceiptTrust.of(settings)


def _issue(info, signer, outputs=OUTPUTS, imputed=()) -> Receipt:
    return ReceiptIssuer(info.model_name, info.version, info.model_digest, signer).issue(
        outputs, imputed)


def test_canonical_json_covers_the_version_outputs_and_signer_but_not_the_signature():
    receipt = Receipt("penguins", 3, "ab" * 32, "penguins@3:ff", "2026-11-02T10:04:05.000001Z",
                      "cd" * 32, ("sex",), "pipeline", "SHA256:k", signature="c2ln")
    assert receipt.canonical() == (
        '{"imputed":["sex"],"issued_at":"2026-11-02T10:04:05.000001Z","key":"SHA256:k",'
        '"model":"penguins","model_digest":"' + "ab" * 32 + '","outputs_sha256":"' + "cd" * 32
        + '","prediction_id":"penguins@3:ff","signer":"pipeline","version":3}')
    assert Receipt.from_dict(receipt.to_dict()) == receipt
    for change in ({"version": 4}, {"outputs_sha256": "ee" * 32}, {"imputed": ()}):
        assert dataclasses.replace(receipt, **change).canonical() != receipt.canonical()
    legacy = Receipt("penguins", 3, "ab" * 32, "penguins@3:ff", "2026-11-02T10:04:05Z", hmac="h")
    assert legacy.scheme == "hmac" and '"outputs_sha256"' not in legacy.canonical()


def test_issuer_signs_exactly_the_canonical_encoding_with_ed25519(signer):
    """The issuer pre-encodes constant fields; the signed bytes must equal Receipt.canonical()."""
    issuer = ReceiptIssuer('odd "name" ü', 12, "dig\\est", signer)
    receipt = issuer.issue({"classes": "Adélie", "p": [0.5]}, imputed=("sex", "island"))
    assert receipt.prediction_id.startswith('odd "name" ü@12:')
    assert receipt.imputed == ("island", "sex") and receipt.scheme == "ed25519"
    assert (receipt.signer, receipt.key) == ("pipeline", signer.key.fingerprint)
    signer.key.public_key.verify(base64.b64decode(receipt.signature),
                                 receipt.canonical().encode("utf-8"))


def test_signed_receipt_verifies_offline_and_against_the_registry(fake_version, signer, trust):
    registry, _, info = fake_version
    receipt = _issue(info, signer)
    offline = verify_receipt(None, receipt.to_dict(), trust, OUTPUTS)
    assert (offline.scheme, offline.signer, offline.stage, offline.outputs_checked) == (
        "ed25519", "pipeline", "", True)
    assert verify_receipt(registry, receipt, trust).stage == "candidate"


def test_a_client_holding_only_the_public_key_verifies(fake_version, signer, tmp_path):
    _, _, info = fake_version
    receipt = _issue(info, signer)
    public_only = ReceiptTrust.public_key(signer.key.path + ".pub")
    assert verify_receipt(None, receipt.to_dict(), public_only, OUTPUTS).signer == "pipeline"
    other, _ = ensure_key(str(tmp_path / "other"), kind=ED25519)
    with open(str(tmp_path / "other.pub"), "w") as handle:
        handle.write(other.public_line + "\n")
    with pytest.raises(ReceiptError, match="may not sign with key"):
        verify_receipt(None, receipt, ReceiptTrust.public_key(str(tmp_path / "other.pub")))


@pytest.mark.parametrize("field, value, reason", [
    ("outputs", dict(OUTPUTS, classes="Adelie"), "outputs differ from the ones the receipt signs"),
    ("outputs_sha256", "0" * 64, "signature does not verify"),
    ("version", 2, "signature does not verify"),
    ("model_digest", "f" * 64, "signature does not verify"),
    ("imputed", ["sex"], "signature does not verify"),
], ids=["output", "output-digest", "version", "digest", "imputed"])
def test_an_altered_output_or_version_fails(fake_version, signer, trust, field, value, reason):
    _, _, info = fake_version
    receipt = _issue(info, signer).to_dict()
    outputs = OUTPUTS
    if field == "outputs":
        outputs = value
    else:
        receipt[field] = value
    with pytest.raises(ReceiptError, match=reason):
        verify_receipt(None, receipt, trust, outputs)


def test_a_signer_outside_the_allowed_signers_is_refused(fake_version, tmp_path, trust):
    _, _, info = fake_version
    mallory, _ = ensure_key(str(tmp_path / "mallory"), kind=ED25519)
    forged = _issue(info, Signer("pipeline", mallory))
    refusal = re.escape(f"pipeline may not sign with key {mallory.fingerprint}")
    with pytest.raises(ReceiptError, match=refusal):
        verify_receipt(None, forged, trust)
    assert trust.signers.entries and isinstance(trust.signers, AllowedSigners)


def test_unsigned_receipts_are_refused(fake_version, trust):
    _, _, info = fake_version
    unsigned = _issue(info, None)
    assert unsigned.to_dict()["signed"] is False and unsigned.signature == ""
    with pytest.raises(ReceiptError, match="receipt is unsigned"):
        verify_receipt(None, unsigned, trust)


def _legacy(info, key: bytes) -> Receipt:
    receipt = Receipt(info.model_name, info.version, info.model_digest,
                      f"{info.identifier}:{'ab' * 16}", "2026-01-02T03:04:05.000006Z", hmac="-")
    mac = hmac.new(key, receipt.canonical().encode(), hashlib.sha256).hexdigest()
    return dataclasses.replace(receipt, hmac=mac)


def test_legacy_hmac_receipts_stay_readable_with_their_key(fake_version, signer):
    registry, _, info = fake_version
    old = _legacy(info, b"old-shared-key").to_dict()
    keyed = ReceiptTrust(AllowedSigners("none", ()), hmac_key=b"old-shared-key")
    assert verify_receipt(registry, old, keyed).scheme == "hmac"
    with pytest.raises(ReceiptError, match="HMAC does not match"):
        verify_receipt(registry, old, dataclasses.replace(keyed, hmac_key=b"another"))
    with pytest.raises(ReceiptError, match="no HMAC key is configured"):
        verify_receipt(registry, old, dataclasses.replace(keyed, hmac_key=None))


def test_forged_version_is_rejected_for_every_reason(fake_version, signer, trust):
    registry, _, info = fake_version
    forged = dataclasses.replace(_issue(info, signer), version=7)
    with pytest.raises(ReceiptError) as caught:
        verify_receipt(registry, forged, trust)
    message = str(caught.value)
    assert "penguins@7 is not a registered version" in message
    assert "does not belong to penguins@7" in message
    assert "signature does not verify" in message


def _second_version(registry, home) -> int:
    model_dir = os.path.join(home.home, "model2")
    os.makedirs(model_dir)
    with open(os.path.join(model_dir, "saved_model.pb"), "w") as handle:
        handle.write("another model")
    model_type = registry.store.get_artifact_type("Model").id
    [artifact_id] = registry.store.put_artifacts([pb.Artifact(type_id=model_type, uri=model_dir)])
    return registry.register_version(
        "penguins", artifact_id, model_dir, digest.model_digest(model_dir)
    ).version


def test_receipt_re_signed_for_another_real_version_fails_on_the_digest(fake_version, signer,
                                                                        trust):
    """Someone holding the serving key mints a receipt claiming version 2 with version 1's
    digest: the registry's digest still gives it away."""
    registry, home, info = fake_version
    other = _second_version(registry, home)
    moved = ReceiptIssuer("penguins", other, info.model_digest, signer).issue(OUTPUTS)
    with pytest.raises(ReceiptError, match=f"not the registered digest of penguins@{other}"):
        verify_receipt(registry, moved, trust)


@pytest.mark.parametrize("change, reason", [
    ({"version": "1"}, "version must be an integer"),
    ({"model_digest": None}, "must be strings"),
    ({"imputed": "sex"}, "imputed must be a list"),
    ({"issued_at": "yesterday"}, "not UTC ISO-8601"),
    ({"signature": "***"}, "signature is not base64"),
])
def test_malformed_receipts_are_rejected(fake_version, signer, trust, change, reason):
    registry, _, info = fake_version
    raw = dict(_issue(info, signer).to_dict(), **change)
    with pytest.raises(ReceiptError, match=reason):
        verify_receipt(registry, raw, trust)


def test_missing_fields_are_named(fake_version, trust):
    registry, _, _ = fake_version
    with pytest.raises(ReceiptError, match="lacks field\\(s\\): model_digest, issued_at"):
        verify_receipt(registry, {"model": "penguins", "version": 1, "prediction_id": "x"}, trust)


def test_a_response_pairs_receipts_with_predictions_and_a_dropped_one_is_refused(fake_version,
                                                                                 signer):
    _, _, info = fake_version
    receipt = _issue(info, signer).to_dict()
    pairs = receipts.receipts_in({"predictions": [OUTPUTS], "receipts": [receipt]})
    assert pairs == [(receipt, OUTPUTS)]
    with pytest.raises(ReceiptError, match="holds 2 receipts but 1 predictions"):
        receipts.receipts_in({"predictions": [OUTPUTS], "receipts": [receipt, receipt]})


def test_issue_times_are_utc_with_microseconds_across_second_boundaries(monkeypatch):
    """UtcClock formats the date and time once a second; every receipt still gets its instant."""
    clock = UtcClock()
    instants = [1_700_000_000_999_999_999, 1_700_000_001_000_000_000, 1_700_000_001_000_123_999,
                1_700_000_000_000_000_500]  # the last goes back a second (clock adjusted)
    texts = []
    for ns in instants:
        monkeypatch.setattr(receipts.time, "time_ns", lambda ns=ns: ns)
        texts.append(clock.now())
    assert texts == ["2023-11-14T22:13:20.999999Z", "2023-11-14T22:13:21.000000Z",
                     "2023-11-14T22:13:21.000123Z", "2023-11-14T22:13:20.000000Z"]


def test_receipts_carry_the_time_now_and_distinct_128_bit_ids(fake_version, signer):
    _, _, info = fake_version
    issuer = ReceiptIssuer(info.model_name, info.version, info.model_digest, signer)
    slack = timedelta(milliseconds=1)
    before = datetime.now(timezone.utc) - slack
    issued = [issuer.issue(OUTPUTS) for _ in range(1000)]
    after = datetime.now(timezone.utc) + slack
    for receipt in (issued[0], issued[-1]):
        moment = datetime.strptime(receipt.issued_at, "%Y-%m-%dT%H:%M:%S.%fZ")
        assert before <= moment.replace(tzinfo=timezone.utc) <= after
    tokens = {r.prediction_id.removeprefix("penguins@1:") for r in issued}
    assert len(tokens) == 1000 and all(re.fullmatch("[0-9a-f]{32}", t) for t in tokens)
