"""The heads a log implies, recomputed record by record (full verify, and upgrading old stores)."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import heads, stages
from .heads import Head


@dataclass
class ModelState:
    """Every version's stage and last deploy seq: enough to answer the head's fallbacks."""

    head: Head
    stage: dict[int, str] = field(default_factory=dict)
    deployed_seq: dict[int, int] = field(default_factory=dict)

    def fallback(self, kind: str, _head: Head) -> int:
        if kind == "production":
            deployed = [v for v, s in self.stage.items() if s == stages.DEPLOYED]
            return max(deployed, key=lambda v: self.deployed_seq.get(v, 0), default=0)
        live = [v for v, s in self.stage.items() if s in (stages.APPROVED, stages.DEPLOYED)]
        return max(live, default=0)


class Replay:
    """Feed records in seq order; `apply` returns the head each one must have left behind."""

    def __init__(self):
        self.models: dict[str, ModelState] = {}

    def apply(self, record) -> tuple[Head, int]:
        """(head after `record`, the model's previous record seq)."""
        state = self.models.setdefault(record.model_name, ModelState(Head(record.model_name)))
        state.stage[int(record.version)] = record.to_stage
        if record.to_stage == stages.DEPLOYED:
            state.deployed_seq[int(record.version)] = record.seq
        prev_seq = state.head.seq
        head = heads.advance(state.head, record, state.fallback)
        state.head = Head(head.model_name, head.latest, head.latest_approved, head.production,
                          head.records, head.first_deploy, record.seq, record.record_hash)
        return state.head, prev_seq

    def heads(self) -> dict[str, Head]:
        return {name: state.head for name, state in self.models.items()}
