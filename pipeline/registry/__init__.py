"""Model registry and tamper-evident governance log on ML Metadata; imports no TFX/TensorFlow."""

from .errors import (
    DigestMismatchError,
    GovernanceLogError,
    IllegalTransitionError,
    RegistryError,
    StoreMissingError,
    UnauthorisedApproverError,
    UnknownModelError,
    UnknownVersionError,
)
from .records import (
    LoadedVersion,
    ModelSummary,
    PushResult,
    RollbackResult,
    Transition,
    VerifyReport,
    VersionInfo,
)
from .registry import Registry
from .stages import STAGES

__all__ = [
    "DigestMismatchError",
    "GovernanceLogError",
    "IllegalTransitionError",
    "LoadedVersion",
    "ModelSummary",
    "PushResult",
    "Registry",
    "RegistryError",
    "RollbackResult",
    "STAGES",
    "StoreMissingError",
    "Transition",
    "UnauthorisedApproverError",
    "UnknownModelError",
    "UnknownVersionError",
    "VerifyReport",
    "VersionInfo",
]
