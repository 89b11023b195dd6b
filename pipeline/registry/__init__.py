"""Model registry and tamper-evident governance log on ML Metadata; imports no TFX/TensorFlow.

The names below are imported on first use (PEP 562): `from pipeline.registry.errors import
RegistryError` or catching a registry error must not load ml_metadata and gRPC (~0.5 s), which
every `ledger` command would otherwise pay before it runs.
"""

from __future__ import annotations

from pipeline.lazy import lazy_exports

_WHERE = {
    **dict.fromkeys(("DigestMismatchError", "GovernanceLogError", "IllegalTransitionError",
                     "RegistryError", "StoreMissingError", "UnauthorisedApproverError",
                     "UnknownModelError", "UnknownVersionError"), ".errors"),
    **dict.fromkeys(("LoadedVersion", "ModelSummary", "PushResult", "RollbackResult",
                     "Transition", "VerifyReport", "VersionInfo"), ".records"),
    "Registry": ".registry",
    "STAGES": ".stages",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
