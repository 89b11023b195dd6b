"""Lineage errors: each message names the store, model, version, id or digest involved."""

from __future__ import annotations


class LineageError(Exception):
    """Base class for every lineage query failure."""


class EmptyStoreError(LineageError):
    """The MLMD store exists but holds nothing a pipeline wrote."""


class UnknownTargetError(LineageError):
    """No dataset version, digest or time matches what was asked for."""
