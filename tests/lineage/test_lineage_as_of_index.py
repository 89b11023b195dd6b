"""As-of by binary search over a model's records agrees with replaying the whole log."""

from __future__ import annotations

from datetime import timedelta

from pipeline.lineage import moments, timeline
from pipeline.registry import Registry


def test_indexed_as_of_matches_the_replay_at_every_record(synthetic_store):
    lineage, path = synthetic_store(30, models=2)  # every tenth run rejected: gaps in deploys
    registry = Registry.open(f'{{"sqlite": "{path}"}}')
    registry.deprecate("model-001", 14, actor="auditor", reason="withdrawn")  # production leaves
    registry.deprecate("model-001", 13, actor="auditor", reason="withdrawn")
    records = registry.history("model-001")
    moments_to_check = [timeline.parse_time(r.decided_at) for r in records]
    moments_to_check += [m - timedelta(microseconds=1) for m in moments_to_check]
    checked = 0
    for moment in moments_to_check:
        indexed = moments.as_of(lineage.store, "model-001", moment)
        replayed = timeline._replayed_as_of(lineage.store, lineage.registry, "model-001", moment)
        assert indexed == replayed, moment
        checked += indexed.deployed
    assert checked > 20
    last = lineage.as_of("model-001", records[-1].decided_at)
    assert (last.version.version, last.deployed_by) == (12, "pipeline")
