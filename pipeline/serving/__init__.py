"""Serving: verified model loading, prediction receipts, captured predictions; TF loaded lazily.

The names below are imported on first use (PEP 562), so `ledger serve` can bind its port
before the registry (ml_metadata, gRPC) and the signing libraries are imported.
"""

from __future__ import annotations

from pipeline.lazy import lazy_exports

_WHERE = {
    "InstanceError": ".errors", "ReceiptError": ".errors", "ServingError": ".errors",
    "Prediction": ".outputs", "Predictor": ".predictor",
    "ReceiptTrust": ".receipt_checks", "VerifiedReceipt": ".receipt_checks",
    "verify_receipt": ".receipt_checks",
    "Receipt": ".receipts", "find_receipt": ".receipts",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
