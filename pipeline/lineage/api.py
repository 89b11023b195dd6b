"""Lineage: read-only trace, impact, history, point-in-time and diff queries on one MLMD store."""

from __future__ import annotations

from ml_metadata.metadata_store.metadata_store import ListOptions

from pipeline import metadata
from pipeline.registry import StoreMissingError, Transition, VersionInfo
from pipeline.registry.reader import RegistryReader

from . import diff as diff_module
from . import impact as impact_module
from . import timeline
from . import trace as trace_module
from .errors import EmptyStoreError, LineageError
from .records import AsOf, Impact, Trace, VersionDiff


class Lineage:
    """Lineage queries over an MLMD store; versions, aliases and history come from the registry."""

    def __init__(self, store):
        self.store = store
        self.registry = RegistryReader(store)

    @classmethod
    def open(cls, spec: str | dict) -> Lineage:
        """Open the store named by `spec` (pipeline/metadata.py); never creates one."""
        try:
            store = metadata.open_store(spec, must_exist=True)
        except metadata.StoreNotFoundError as exc:
            raise StoreMissingError(str(exc)) from exc
        except RuntimeError as exc:  # MLMD's message when SQLite or MySQL refuses the connection
            raise LineageError(f"cannot open the MLMD store: {exc}") from exc
        if not store.get_artifacts(list_options=ListOptions(limit=1)):
            raise EmptyStoreError("the MLMD store is empty: no pipeline has run against it")
        return cls(store)

    def resolve_trace_target(self, target: str) -> VersionInfo:
        """What `trace` starts from; today MODEL@VERSION or MODEL@alias (production, latest...)."""
        return self.registry.resolve(target.strip())

    def trace_version(self, info: VersionInfo) -> Trace:
        """The upstream trace of a version the caller already resolved (e.g. from a receipt)."""
        return trace_module.trace_version(self.store, info)

    def trace(self, target: str) -> Trace:
        """Data, code, training, evaluation, approvals and deployments behind `target`."""
        return self.trace_version(self.resolve_trace_target(target))

    def impact(self, target: str) -> Impact:
        """Models, versions, deployments and captures downstream of a dsv-... id or SHA-256."""
        return impact_module.impact(self.store, target)

    def history(self, model_name: str, version: int | None = None) -> list[Transition]:
        """The registry's governance-log records of a model (or one version)."""
        return self.registry.history(model_name, version)

    def as_of(self, model_name: str, when) -> AsOf:
        """The version of `model_name` in production at `when` (ISO-8601 UTC or datetime)."""
        return timeline.as_of(self.store, self.registry, model_name, when)

    def diff(self, a: str, b: str) -> VersionDiff:
        """Two versions (MODEL@VERSION or alias) side by side."""
        return diff_module.diff_traces(self.trace(a), self.trace(b))
