"""`ledger predict` and `ledger verify-receipt` through click, against the shared run."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

pytestmark = pytest.mark.pipeline
ROW = {"island": "Torgersen", "bill_length_mm": 39.1, "bill_depth_mm": 18.7,
       "flipper_length_mm": 181.0, "body_mass_g": 3750.0, "sex": "male"}


@pytest.fixture
def ledger(served_home):
    def invoke(*args):
        result = CliRunner().invoke(cli, ["--home", served_home.home, *args])
        return result.exit_code, result.stdout, result.stderr

    return invoke


@pytest.fixture
def predicted(ledger, tmp_path):
    instances = tmp_path / "instances.json"
    instances.write_text(json.dumps({"instances": [ROW, dict(ROW, island="Dream")]}))
    code, out, err = ledger("predict", "penguins@1", "--instances", str(instances))
    assert code == 0, err
    response = tmp_path / "response.json"
    response.write_text(out)
    return json.loads(out), response


def test_predict_prints_predictions_and_signed_receipts(predicted):
    body, _ = predicted
    assert body["predictions"][0]["classes"] == "Adelie"
    assert [r["version"] for r in body["receipts"]] == [1, 1]
    assert all(r["signed"] for r in body["receipts"])


def test_verify_receipt_accepts_a_response_and_refuses_a_forgery(ledger, predicted, tmp_path):
    body, response = predicted
    code, out, _ = ledger("verify-receipt", str(response))
    assert code == 0 and out.count("valid: penguins@1:") == 2
    assert "(Ed25519 signature by pipeline, outputs match; penguins@1 is now" in out
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(dict(body["receipts"][0], version=5)))
    code, _, err = ledger("verify-receipt", str(forged))
    assert code == 1 and "penguins@5 is not a registered version" in err
    assert "signature does not verify" in err


def test_verify_receipt_offline_with_only_the_public_key(ledger, predicted, served_home,
                                                         tmp_path):
    body, response = predicted
    public = tmp_path / "serving.pub"  # all the client holds: no store, no secret
    public.write_text(open(f"{served_home.home}/keys/ledger_service_ed25519.pub").read())
    code, out, _ = ledger("verify-receipt", str(response), "--offline", "--public-key",
                          str(public))
    assert code == 0 and out.count("registry not consulted (--offline)") == 2
    altered = dict(body, predictions=[dict(body["predictions"][0], classes="Gentoo"),
                                      body["predictions"][1]])
    (tmp_path / "altered.json").write_text(json.dumps(altered))
    code, out, err = ledger("verify-receipt", str(tmp_path / "altered.json"), "--offline",
                            "--public-key", str(public))
    assert code == 1 and out.count("valid:") == 1 and "outputs altered" in err


def test_predict_reports_bad_input_in_one_line(ledger, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"instances": {"island": "Biscoe"}}')
    code, _, err = ledger("predict", "penguins@1", "--instances", str(bad))
    assert code == 1 and 'expected {"instances": [...]}' in err
    good = tmp_path / "good.json"
    good.write_text(json.dumps([ROW]))
    code, _, err = ledger("predict", "herons@1", "--instances", str(good))
    assert code == 1 and "no model named 'herons'" in err
