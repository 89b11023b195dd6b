"""Who may decide on a version: the approval policy stored on it, and required fields."""

from __future__ import annotations

from .errors import RegistryError, UnauthorisedApproverError
from .records import VersionInfo


def require(value, what: str) -> None:
    """Refuse an empty actor or reason: the governance log must say who and why."""
    if not str(value or "").strip():
        raise RegistryError(f"{what} is required")


def check_decider(info: VersionInfo, by: str, *, approving: bool) -> None:
    """allowed_approvers (empty = anyone) gates approve and reject; self-approval gates approve."""
    allowed = list(info.approval_policy.get("allowed_approvers") or [])
    if allowed and by not in allowed:
        raise UnauthorisedApproverError(
            f"{by} may not decide on {info.identifier}: allowed approvers are {', '.join(allowed)}"
        )
    self_ok = bool(info.approval_policy.get("allow_self_approval", False))
    if approving and not self_ok and info.launched_by and by == info.launched_by:
        raise UnauthorisedApproverError(
            f"{by} launched {info.identifier} and may not approve it (allow_self_approval is false)"
        )
