"""Serving: verified model loading, prediction receipts, captured predictions; TF loaded lazily.

The names below are imported on first use (PEP 562), so `ledger serve` can bind its port
before the registry (ml_metadata, gRPC) and the signing libraries are imported.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "InstanceError": ".errors", "ReceiptError": ".errors", "ServingError": ".errors",
    "Prediction": ".predictor", "Predictor": ".predictor",
    "ReceiptTrust": ".receipt_checks", "VerifiedReceipt": ".receipt_checks",
    "verify_receipt": ".receipt_checks",
    "Receipt": ".receipts", "find_receipt": ".receipts",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
