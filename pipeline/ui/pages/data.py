"""A dataset version (facts, statistics, anomalies) and everything it fed."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass

from pipeline.lineage import Impact, subgraph
from pipeline.lineage.impact import start_artifacts
from pipeline.lineage.nodes import DATASET_VERSION, short_type
from pipeline.serving import capture

from .. import graph
from .dataset_evidence import DatasetEvidence, dataset_evidence

# DatasetVersion <- DataLineage <- statistics, anomalies: two hops up.
DATASET_INPUT_HOPS = 2
PREDICTIONS_PER_VERSION = 20


@dataclass(frozen=True)
class DatasetPage:
    dataset_version_id: str
    uri: str
    evidence: DatasetEvidence


@dataclass(frozen=True)
class ImpactPage:
    impact: Impact
    predictions: dict  # identifier -> [captured prediction lines], newest files last
    elements: dict


def dataset_page(store, dataset_version_id: str) -> DatasetPage:
    """The dataset version's facts with the statistics and anomalies it was checked against."""
    matched = [a for a in start_artifacts(store, dataset_version_id)
               if short_type(a.type or DATASET_VERSION) == DATASET_VERSION]
    dataset = matched[0]
    found = subgraph.collect(store, [dataset.id], subgraph.UPSTREAM, DATASET_INPUT_HOPS)
    return DatasetPage(dataset_version_id, dataset.uri,
                       dataset_evidence(subgraph.graph_of(found), dataset_version_id))


def _captured(uris: list[str], limit: int) -> list[dict]:
    """The newest `limit` captured predictions, newest first (capture files in creation order)."""
    newest = deque(maxlen=limit)
    for uri in uris:
        if os.path.exists(uri):
            newest.extend(capture.read_lines(uri))
    return list(reversed(newest))


def impact_page(lineage, dataset_version_id: str) -> ImpactPage:
    """Models, versions, deployments and captured predictions downstream of the dataset."""
    found = lineage.impact(dataset_version_id)
    predictions = {v.identifier: _captured(v.captures, PREDICTIONS_PER_VERSION)
                   for v in found.versions}
    matched = {n.key for n in found.matched}
    return ImpactPage(found, predictions, graph.elements(found.graph, matched))
