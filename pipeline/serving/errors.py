"""Serving errors: each message names the instance, feature, receipt or model involved."""

from __future__ import annotations


class ServingError(Exception):
    """Base class for refusals of the predictor, the server and receipt checks."""


class InstanceError(ServingError, ValueError):
    """A prediction instance cannot be turned into the model's input (wrong shape or type)."""


class SignatureError(ServingError, ValueError):
    """The request names a signature the model lacks, or one whose method cannot serve it."""


class ReceiptError(ServingError, ValueError):
    """A receipt is malformed, not signed as it must be, or names a version it cannot be from."""
