"""Who may sign what: checked before a record is written, so a refused decision writes nothing."""

from __future__ import annotations

from datetime import datetime, timezone

from pipeline.signing.allowed_signers import AllowedSigners

from .errors import UnauthorisedApproverError


def check_signer(registry) -> None:
    """The registry's signer must be allowed to sign now (its key listed, its window open)."""
    if registry.signer is not None:
        _check(registry.allowed, registry.signer)


def _check(allowed: AllowedSigners, signer) -> None:
    try:
        allowed.check(signer.identity, signer.key.fingerprint, datetime.now(timezone.utc))
    except ValueError as exc:
        raise UnauthorisedApproverError(f"refusing to sign as {signer.identity}: {exc}") from exc


def check_actor(registry, actor: str) -> None:
    """A record naming a person in the allowed signers must be signed with that person's key."""
    signer = registry.signer
    if signer is not None and actor != signer.identity and registry.allowed.is_principal(actor):
        raise UnauthorisedApproverError(
            f"a record naming {actor} must be signed with {actor}'s key, "
            f"not {signer.identity}'s ({signer.key.fingerprint})")


def check_own_decision(registry, by: str, info=None) -> None:
    """People sign their own decisions: `by` must be the signer, and the allowed signers the
    version's approval policy names (if any) must list the signer's key now."""
    signer = registry.signer
    if signer is None:
        return
    if by != signer.identity:
        raise UnauthorisedApproverError(
            f"{by}'s decision must be signed with {by}'s own key; the key given "
            f"({signer.key.path}, {signer.key.fingerprint}) signs as {signer.identity}")
    named = (info.approval_policy.get("allowed_signers") if info is not None else "") or ""
    if named and (registry.allowed is None or named != registry.allowed.path):
        _check(AllowedSigners.load(named), signer)
