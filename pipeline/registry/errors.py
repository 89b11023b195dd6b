"""Registry errors: each message names the model, version, stage or file involved."""

from __future__ import annotations


class RegistryError(Exception):
    """Base class for every refusal or failure of the model registry."""


class StoreMissingError(RegistryError):
    """A read command was pointed at an MLMD store that does not exist."""


class UnknownModelError(RegistryError):
    """No version of the named model is registered."""


class UnknownVersionError(RegistryError):
    """The model exists but the requested version (or alias) does not."""


class IllegalTransitionError(RegistryError):
    """The stage machine does not allow the requested move from the current stage."""


class UnauthorisedApproverError(RegistryError):
    """The approval policy stored on the version refuses this approver."""


class DigestMismatchError(RegistryError):
    """Model files differ from the digest or manifest they were registered or pushed with."""


class GovernanceLogError(RegistryError):
    """The governance log could not be appended to (inconsistent head or persistent contention)."""
