"""The model stage machine: which stage may follow which."""

from __future__ import annotations

from .errors import IllegalTransitionError

NONE = "none"
CANDIDATE = "candidate"
VALIDATED = "validated"
APPROVED = "approved"
DEPLOYED = "deployed"
ROLLED_BACK = "rolled_back"
DEPRECATED = "deprecated"
REJECTED = "rejected"

STAGES = (CANDIDATE, VALIDATED, APPROVED, DEPLOYED, ROLLED_BACK, DEPRECATED, REJECTED)
TERMINAL = frozenset({DEPRECATED, REJECTED})

# deployed -> deployed and rolled_back -> deployed are redeploys: that is how rollback works.
ALLOWED: dict[str, frozenset[str]] = {
    NONE: frozenset({CANDIDATE}),
    CANDIDATE: frozenset({VALIDATED, REJECTED, DEPRECATED}),
    VALIDATED: frozenset({APPROVED, REJECTED, DEPRECATED}),
    APPROVED: frozenset({DEPLOYED, DEPRECATED}),
    DEPLOYED: frozenset({DEPLOYED, ROLLED_BACK, DEPRECATED}),
    ROLLED_BACK: frozenset({DEPLOYED, DEPRECATED}),
    DEPRECATED: frozenset(),
    REJECTED: frozenset(),
}


def is_allowed(from_stage: str, to_stage: str) -> bool:
    """Whether the stage machine allows moving from `from_stage` to `to_stage`."""
    return to_stage in ALLOWED.get(from_stage, frozenset())


def check(label: str, from_stage: str, to_stage: str) -> None:
    """Raise IllegalTransitionError naming `label` and its stage unless the move is legal."""
    if to_stage not in STAGES:
        raise IllegalTransitionError(
            f"{label}: unknown stage {to_stage!r} (stages: {', '.join(STAGES)})"
        )
    if not is_allowed(from_stage, to_stage):
        allowed = ", ".join(sorted(ALLOWED.get(from_stage, ()))) or "nothing (terminal stage)"
        raise IllegalTransitionError(
            f"{label} is {from_stage}: cannot move to {to_stage} "
            f"(allowed from {from_stage}: {allowed})"
        )
