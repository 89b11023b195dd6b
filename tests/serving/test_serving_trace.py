"""A served prediction's receipt traces back to the source CSV's digest; forged receipts do not."""
from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.paths import PROJECT_ROOT

CSV_SHA256 = hashlib.sha256(
    open(f"{PROJECT_ROOT}/data/penguins/penguins.csv", "rb").read()).hexdigest()


@pytest.fixture
def receipt(served_home, penguin_rows):
    from pipeline.serving import Predictor

    row = {k: v for k, v in penguin_rows[0].items() if k != "species"}
    with Predictor.load("penguins@1", served_home) as predictor:
        [prediction] = predictor.predict([row])
    return prediction.receipt.to_dict()


def _trace(served_home, target):
    return CliRunner().invoke(cli, ["--home", served_home.home, "trace", target])


def test_prediction_id_traces_to_the_source_csv(served_home, receipt):
    result = _trace(served_home, receipt["prediction_id"])
    assert result.exit_code == 0, result.output
    assert f"prediction {receipt['prediction_id']}" in result.output
    assert "receipt valid (Ed25519 signature by pipeline, outputs match)" in result.output
    assert CSV_SHA256 in result.output
    assert "  inputs   bill_depth_mm=18.7 bill_length_mm=39.1 " in result.output
    assert "  outputs  class_ids=0 classes=Adelie probabilities=[" in result.output


def test_prediction_id_json_holds_the_captured_inputs_and_outputs(served_home, receipt):
    result = CliRunner().invoke(cli, ["--home", served_home.home, "trace",
                                      receipt["prediction_id"], "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    prediction = document["prediction"]
    assert prediction["receipt"] == receipt
    assert prediction["checked"] == "Ed25519 signature by pipeline, outputs match"
    assert prediction["inputs"]["island"] == "Torgersen"
    assert prediction["outputs"]["classes"] == "Adelie"
    assert (document["version"]["model_name"], document["version"]["version"]) == ("penguins", 1)


def test_receipt_file_traces_and_forged_receipts_are_refused(served_home, receipt, tmp_path):
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(receipt))
    assert _trace(served_home, str(good)).exit_code == 0
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**receipt, "version": 2}))
    refused = _trace(served_home, str(forged))
    assert refused.exit_code == 1 and "rejected" in refused.output
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps({**receipt, "outputs_sha256": "0" * 64}))
    refused = _trace(served_home, str(tampered))
    assert refused.exit_code == 1 and "signature does not verify" in refused.output


def test_lineage_checks_receipts_with_its_home_s_allowed_signers_by_default(served_home, receipt,
                                                                          tmp_path):
    """What the UI's prediction page relies on: no trust given, the home's settings decide."""
    from pipeline.lineage.api import Lineage
    from pipeline.metadata import sqlite_spec

    lineage = Lineage.open(sqlite_spec(served_home.metadata_path), served_home)
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(receipt))
    assert lineage.verified_receipt(str(good)).signer == "pipeline"
    assert lineage.receipt_trust.signers.path == f"{served_home.home}/allowed_signers"
