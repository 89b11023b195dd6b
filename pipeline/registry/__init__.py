"""Model registry and tamper-evident governance log on ML Metadata; imports no TFX/TensorFlow.

The names below are imported on first use (PEP 562): `from pipeline.registry.errors import
RegistryError` or catching a registry error must not load ml_metadata and gRPC (~0.5 s), which
every `ledger` command would otherwise pay before it runs.
"""

from __future__ import annotations

import importlib

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


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
