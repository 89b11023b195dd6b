"""Serving: verified model loading, prediction receipts, captured predictions; TF loaded lazily."""

from .errors import InstanceError, ReceiptError, ServingError
from .predictor import Prediction, Predictor
from .receipts import Receipt, VerifiedReceipt, find_receipt, verify_receipt

__all__ = [
    "InstanceError",
    "Prediction",
    "Predictor",
    "Receipt",
    "ReceiptError",
    "ServingError",
    "VerifiedReceipt",
    "find_receipt",
    "verify_receipt",
]
