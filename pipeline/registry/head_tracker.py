"""The heads one append leaves behind, computed record by record before anything is written."""

from __future__ import annotations

from dataclasses import replace

from . import fallback, heads, queries, stages
from .heads import Head
from .replay import Replay


class HeadTracker:
    """Heads of the models an append touches; on a store from before heads, every model's."""

    def __init__(self, store, migrating: bool):
        self.store = store
        self.heads: dict[str, Head] = {}
        self.touched: set[str] = set()
        self.overrides: dict[str, dict[int, str]] = {}
        self.deploys: dict[str, list[int]] = {}
        self._next: tuple[str, Head] | None = None
        if migrating:  # one replay of the old log gives every model its head, written with this
            self.heads = _replayed(store)
            self.touched = set(self.heads)

    def _head(self, model_name: str) -> Head:
        if model_name not in self.heads:
            self.heads[model_name] = heads.read(self.store, model_name) or Head(model_name)
        return self.heads[model_name]

    def advance(self, fields: dict) -> str:
        """The head after the record `fields` (seq set, hash not yet), as the record embeds it."""
        name, version, to_stage = fields["model_name"], int(fields["version"]), fields["to_stage"]
        head = self._head(name)
        overrides = self.overrides.setdefault(name, {})
        overrides[version] = to_stage
        deploys = self.deploys.setdefault(name, [])
        if to_stage == stages.DEPLOYED:
            deploys.append(version)

        def answer(kind: str, new: Head) -> int:
            if kind == "production":
                return fallback.production(self.store, name, overrides, deploys, new.records)
            return fallback.latest_approved(self.store, name, version, overrides)

        new = heads.advance(head, fields, answer)
        self._next = (name, new)
        return heads.state_json(new, head.seq)

    def written(self, fields: dict) -> None:
        """Record that `fields` (now hashed) is the model's newest record."""
        name, new = self._next
        context_id = self.heads[name].context_id
        self.heads[name] = replace(
            new, seq=fields["seq"], record_hash=fields["record_hash"], context_id=context_id
        )
        self.touched.add(name)

    def contexts(self, type_id: int) -> list:
        return [heads.to_context(type_id, self.heads[name]) for name in sorted(self.touched)]


def _replayed(store) -> dict[str, Head]:
    replay = Replay()
    for record in queries.transitions(store):
        replay.apply(record)
    existing = {h.model_name: h.context_id for h in heads.read_all(store)}
    return {
        name: replace(head, context_id=existing.get(name, 0))
        for name, head in replay.heads().items()
    }
