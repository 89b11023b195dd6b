"""Serving: verified model loading, prediction receipts, captured predictions; TF loaded lazily."""

from .errors import InstanceError, ReceiptError, ServingError
from .predictor import Prediction, Predictor
from .receipt_checks import ReceiptTrust, VerifiedReceipt, verify_receipt
from .receipts import Receipt, find_receipt

__all__ = [
    "InstanceError",
    "Prediction",
    "Predictor",
    "Receipt",
    "ReceiptError",
    "ReceiptTrust",
    "ServingError",
    "VerifiedReceipt",
    "find_receipt",
    "verify_receipt",
]
