"""A dataset version's evidence (facts, statistics, anomalies), as the version and dataset pages
show it: read from the statistics and anomalies its DataLineage run checked."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.lineage import LineageGraph
from pipeline.lineage.nodes import DATASET_VERSION

from .. import evidence

STATISTICS, ANOMALIES = "ExampleStatistics", "ExampleAnomalies"


@dataclass(frozen=True)
class DatasetEvidence:
    """A dataset version's facts, per-feature statistics and anomalies."""

    facts: dict
    stats: list
    anomalies: list


def dataset_evidence(graph: LineageGraph, dataset_version_id: str = "") -> DatasetEvidence:
    """The DatasetVersion of `graph` named `dataset_version_id` (else its first), with the
    statistics and anomalies its producer read: not any others the graph may hold (a version's
    trace also reaches the statistics of other runs)."""
    datasets = graph.of_type(DATASET_VERSION)
    named = [d for d in datasets if d.facts.get("dataset_version_id") == dataset_version_id]
    dataset = (named or datasets or [None])[0]
    if dataset is None:
        return DatasetEvidence({}, [], [])
    read = {e.source for p in graph.producers(dataset.key) for e in graph.inputs(p.key)}
    checked = {n.type: n for n in graph.nodes if n.key in read}
    stats, anomalies = checked.get(STATISTICS), checked.get(ANOMALIES)
    return DatasetEvidence(
        facts=dataset.facts,
        stats=evidence.feature_stats(stats.uri) if stats else [],
        anomalies=evidence.anomalies(anomalies.uri) if anomalies else [],
    )
