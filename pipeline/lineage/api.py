"""Lineage: read-only trace, impact, history, point-in-time and diff queries on one MLMD store."""

from __future__ import annotations

import dataclasses
import json
import os
import re

from ml_metadata.metadata_store.metadata_store import ListOptions

from pipeline import metadata
from pipeline.paths import LedgerPaths
from pipeline.registry import StoreMissingError, Transition, VersionInfo
from pipeline.registry.reader import RegistryReader

from . import trace as trace_module
from .errors import EmptyStoreError, LineageError
from .records import AsOf, Impact, Trace, VersionDiff

PREDICTION_ID = re.compile(r"[A-Za-z0-9_-]+@\d+:[0-9a-f]{32}")


class Lineage:
    """Lineage queries over an MLMD store; versions, aliases and history come from the registry."""

    def __init__(self, store, paths: LedgerPaths | None = None, receipt_trust=None,
                 allowed=None, hmac_key: bytes | None = None):
        """`allowed` (the allowed signers) and `hmac_key` check the records a trace shows."""
        self.store = store
        self.registry = RegistryReader(store, allowed=allowed, hmac_key=hmac_key)
        self.paths = paths  # where prediction captures live, for prediction-id targets
        self._receipt_trust = receipt_trust

    @classmethod
    def open(cls, spec: str | dict, paths: LedgerPaths | None = None,
             receipt_trust=None, **record_trust) -> Lineage:
        """Open the store named by `spec` (pipeline/metadata.py); never creates one. A store
        that cannot be opened raises metadata.StoreOpenError naming the file or host:port."""
        try:
            store = metadata.open_store(spec, must_exist=True)
        except metadata.StoreNotFoundError as exc:
            raise StoreMissingError(str(exc)) from exc
        if not store.get_artifacts(list_options=ListOptions(limit=1)):
            raise EmptyStoreError("the MLMD store is empty: no pipeline has run against it")
        return cls(store, paths, receipt_trust, **record_trust)

    def resolve_trace_target(self, target: str) -> VersionInfo:
        """What `trace` starts from: MODEL@VERSION, MODEL@alias, a prediction id, or a receipt
        file; a receipt (found or given) must pass verification first."""
        verified = self.verified_receipt(target)
        if verified is not None:
            return self.registry.version(verified.receipt.model, verified.receipt.version)
        return self.registry.resolve(target.strip())

    def verified_receipt(self, target: str):
        """The VerifiedReceipt behind a prediction id or receipt file, or None for other targets;
        a receipt that fails verification raises LineageError naming why."""
        if not names_receipt(target):
            return None
        is_file = os.path.isfile(target)
        from pipeline.serving import receipt_checks, receipts  # no TF: plain Python

        try:
            if is_file:
                receipt, outputs = _single_receipt(target, receipts)
            elif self.paths is None:
                raise LineageError("tracing a prediction id needs the ledger home's captures")
            else:
                receipt, outputs = receipts.find_receipt(self.paths, target.strip())
            return receipt_checks.verify_receipt(self.registry, receipt, self.receipt_trust,
                                                 outputs)
        except (receipts.ReceiptError, ValueError) as exc:
            raise LineageError(str(exc)) from None

    @property
    def receipt_trust(self):
        """pipeline.serving.receipt_checks.ReceiptTrust: who may sign receipts; unless given,
        the allowed signers and legacy HMAC key of the settings of `paths`' home."""
        from pipeline.serving.receipt_checks import ReceiptTrust
        from pipeline.settings import resolve

        if self._receipt_trust is None:
            if self.paths is None:
                raise LineageError("checking a receipt needs the allowed signers (no home given)")
            self._receipt_trust = ReceiptTrust.of(resolve(home=self.paths.home))
        return self._receipt_trust

    @receipt_trust.setter
    def receipt_trust(self, trust) -> None:
        self._receipt_trust = trust

    def captured_prediction(self, prediction_id: str) -> dict | None:
        """The capture record (features in, outputs out, receipt) of a prediction, or None
        when it was not captured in this home (sampled out, or served elsewhere)."""
        from pipeline.serving import receipts

        if self.paths is None:
            return None
        try:
            return receipts.find_capture(self.paths, prediction_id)
        except receipts.ReceiptError:
            return None

    def trace_version(self, info: VersionInfo) -> Trace:
        """The upstream trace of a version the caller already resolved (e.g. from a receipt)."""
        found = trace_module.trace_version(self.store, info)
        statuses = [self.registry.record_status(t) for t in found.history]
        return dataclasses.replace(found, history_status=[
            f"FAILED: {s.detail}" if s.failed else s.state for s in statuses])

    def trace(self, target: str) -> Trace:
        """Data, code, training, evaluation, approvals and deployments behind `target`."""
        return self.trace_version(self.resolve_trace_target(target))

    def impact(self, target: str) -> Impact:
        """Models, versions, deployments and captures downstream of a dsv-... id or SHA-256."""
        from . import impact

        return impact.impact(self.store, target)

    def history(self, model_name: str, version: int | None = None) -> list[Transition]:
        """The registry's governance-log records of a model (or one version)."""
        return self.registry.history(model_name, version)

    def as_of(self, model_name: str, when) -> AsOf:
        """The version of `model_name` in production at `when` (ISO-8601 UTC or datetime)."""
        from . import timeline

        return timeline.as_of(self.store, self.registry, model_name, when)

    def diff(self, a: str, b: str) -> VersionDiff:
        """Two versions (MODEL@VERSION or alias) side by side."""
        from . import diff

        return diff.diff_traces(self.trace(a), self.trace(b))


def names_receipt(target: str) -> bool:
    """Whether a trace target is a prediction id or a receipt file, not a version."""
    return os.path.isfile(target) or PREDICTION_ID.fullmatch(target.strip()) is not None


def _single_receipt(path: str, receipts):
    """The one receipt in a JSON file (a receipt, a served response or a capture line)."""
    with open(path, encoding="utf-8") as handle:
        found = receipts.receipts_in(json.load(handle))
    if len(found) != 1:
        raise LineageError(f"{path} holds {len(found)} receipts; trace takes one")
    return found[0]
