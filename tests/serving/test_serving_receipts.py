"""Receipts: canonical JSON, HMAC signing, and every way verify_receipt must refuse one."""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import datetime, timedelta, timezone

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import digest
from pipeline.registry.chain import sign
from pipeline.serving import receipts
from pipeline.serving.receipts import (
    Receipt,
    ReceiptError,
    ReceiptIssuer,
    UtcClock,
    verify_receipt,
)

KEY_ENV = "LEDGER_SIGNING_KEY"


def _issue(info) -> Receipt:
    return ReceiptIssuer(info.model_name, info.version, info.model_digest, KEY_ENV).issue()


def test_canonical_json_covers_every_field_but_the_hmac():
    receipt = Receipt("penguins", 3, "ab" * 32, "penguins@3:ff", "2026-11-02T10:04:05.000001Z", "h")
    assert receipt.canonical() == (
        '{"issued_at":"2026-11-02T10:04:05.000001Z","model":"penguins",'
        '"model_digest":"' + "ab" * 32 + '","prediction_id":"penguins@3:ff","version":3}'
    )
    assert Receipt.from_dict(receipt.to_dict()) == receipt
    assert dataclasses.replace(receipt, version=4).canonical() != receipt.canonical()


def test_signed_receipt_names_the_version_and_verifies(fake_version, signing_key):
    registry, _, info = fake_version
    receipt = _issue(info)
    assert (receipt.model, receipt.version, receipt.model_digest) == (
        "penguins", 1, info.model_digest)
    assert receipt.prediction_id.startswith("penguins@1:") and len(receipt.hmac) == 64
    assert receipt.to_dict()["signed"] is True
    checked = verify_receipt(registry, receipt.to_dict())
    assert checked.hmac_checked and checked.stage == "candidate"


def test_without_a_key_receipts_are_unsigned_and_say_so(fake_version, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    registry, _, info = fake_version
    receipt = _issue(info)
    assert receipt.hmac == "" and receipt.to_dict()["signed"] is False
    assert verify_receipt(registry, receipt).hmac_checked is False


def test_unsigned_receipt_is_rejected_when_a_key_is_configured(fake_version, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    registry, _, info = fake_version
    receipt = _issue(info)
    monkeypatch.setenv(KEY_ENV, "now-configured")
    with pytest.raises(ReceiptError, match="unsigned but a signing key is configured"):
        verify_receipt(registry, receipt)


def test_bad_hmac_or_other_key_is_rejected(fake_version, signing_key, monkeypatch):
    registry, _, info = fake_version
    receipt = _issue(info)
    flipped = ("0" if receipt.hmac[0] != "0" else "1") + receipt.hmac[1:]
    with pytest.raises(ReceiptError, match="HMAC does not match"):
        verify_receipt(registry, dataclasses.replace(receipt, hmac=flipped))
    monkeypatch.setenv(KEY_ENV, "another-key")
    with pytest.raises(ReceiptError, match="HMAC does not match"):
        verify_receipt(registry, receipt)


def test_forged_version_is_rejected(fake_version, signing_key):
    registry, _, info = fake_version
    forged = dataclasses.replace(_issue(info), version=7)
    with pytest.raises(ReceiptError) as caught:
        verify_receipt(registry, forged)
    message = str(caught.value)
    assert "penguins@7 is not a registered version" in message
    assert "does not belong to penguins@7" in message
    assert "HMAC does not match" in message


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


def test_receipt_moved_to_another_real_version_fails_on_the_digest_even_if_resigned(
    fake_version, signing_key
):
    """Someone holding the key re-signs a receipt for version 2: the digest still gives it away."""
    registry, home, info = fake_version
    other = _second_version(registry, home)
    original = _issue(info)
    moved = dataclasses.replace(
        original, version=other, prediction_id=original.prediction_id.replace("@1:", f"@{other}:")
    )
    resigned = dataclasses.replace(moved, hmac=sign(signing_key.encode(), moved.canonical()))
    with pytest.raises(ReceiptError, match=f"not the registered digest of penguins@{other}"):
        verify_receipt(registry, resigned)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"version": "1"}, "version must be an integer"),
        ({"model_digest": None}, "must be strings"),
        ({"issued_at": "yesterday"}, "not UTC ISO-8601"),
    ],
)
def test_malformed_receipts_are_rejected(fake_version, signing_key, change, reason):
    registry, _, info = fake_version
    raw = dict(_issue(info).to_dict(), **change)
    with pytest.raises(ReceiptError, match=reason):
        verify_receipt(registry, raw)


def test_missing_fields_are_named(fake_version):
    registry, _, _ = fake_version
    with pytest.raises(ReceiptError, match="lacks field\\(s\\): model_digest, issued_at"):
        verify_receipt(registry, {"model": "penguins", "version": 1, "prediction_id": "x"})


def test_issuer_signs_exactly_the_canonical_encoding(signing_key):
    """The issuer pre-encodes constant fields; the bytes must equal Receipt.canonical()'s."""
    issuer = ReceiptIssuer('odd "name" ü', 12, "dig\\est", KEY_ENV)
    receipt = issuer.issue()
    assert receipt.hmac == sign(signing_key.encode(), receipt.canonical())
    assert receipt.prediction_id.startswith('odd "name" ü@12:')


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


def test_receipts_carry_the_time_now_and_distinct_128_bit_ids(fake_version):
    _, _, info = fake_version
    issuer = ReceiptIssuer(info.model_name, info.version, info.model_digest, KEY_ENV)
    slack = timedelta(milliseconds=1)
    before = datetime.now(timezone.utc) - slack
    issued = [issuer.issue() for _ in range(1000)]
    after = datetime.now(timezone.utc) + slack
    for receipt in (issued[0], issued[-1]):
        moment = datetime.strptime(receipt.issued_at, "%Y-%m-%dT%H:%M:%S.%fZ")
        assert before <= moment.replace(tzinfo=timezone.utc) <= after
    tokens = {r.prediction_id.removeprefix("penguins@1:") for r in issued}
    assert len(tokens) == 1000 and all(re.fullmatch("[0-9a-f]{32}", t) for t in tokens)
