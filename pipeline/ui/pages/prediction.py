"""A prediction found by id or by a pasted receipt: verification, inputs, outputs, trace."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pipeline.lineage import LineageError, Trace
from pipeline.serving import capture, receipt_checks, receipts


@dataclass(frozen=True)
class PredictionPage:
    prediction_id: str
    verified: object  # receipts.VerifiedReceipt
    captured: dict | None  # the capture line: features (inputs) and outputs
    trace: Trace


def _from_receipt_text(lineage, text: str):
    try:
        found = receipts.receipts_in(json.loads(text))
    except ValueError as exc:  # ReceiptError is a ValueError too
        raise LineageError(f"the receipt is not usable: {exc}") from None
    if len(found) != 1:
        raise LineageError(f"the pasted document holds {len(found)} receipts; paste one")
    receipt, outputs = found[0]
    try:
        return receipt_checks.verify_receipt(lineage.registry, receipt, lineage.receipt_trust,
                                             outputs)
    except (ValueError, TypeError, KeyError) as exc:
        raise LineageError(str(exc)) from None


def prediction_page(lineage, *, prediction_id: str = "", receipt_text: str = "") -> PredictionPage:
    """Verify the receipt first (found in the captures by id, or pasted), then trace it."""
    if receipt_text.strip():
        verified = _from_receipt_text(lineage, receipt_text)
    else:
        verified = lineage.verified_receipt(prediction_id.strip())
        if verified is None:
            raise LineageError(f"{prediction_id!r} is not a prediction id (MODEL@VERSION:HEX)")
    receipt = verified.receipt
    lines = capture.lines_with(lineage.paths.captures_root, receipt.model, receipt.version,
                               receipt.prediction_id)
    captured = next((line for line in lines
                     if line.get("prediction_id") == receipt.prediction_id), None)
    info = lineage.registry.version(receipt.model, receipt.version)
    return PredictionPage(receipt.prediction_id, verified, captured,
                          lineage.trace_version(info))
