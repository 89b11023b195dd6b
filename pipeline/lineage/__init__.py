"""Lineage queries over ML Metadata (trace, impact, history, as-of, diff); no TFX/TensorFlow."""

from .api import Lineage
from .errors import EmptyStoreError, LineageError, UnknownTargetError
from .records import (
    Approval,
    AsOf,
    DataProvenance,
    DiffRow,
    Edge,
    Evaluation,
    Impact,
    ImpactedVersion,
    InfraCheck,
    LineageGraph,
    Node,
    Trace,
    Training,
    VersionDiff,
)

__all__ = [
    "Approval",
    "AsOf",
    "DataProvenance",
    "DiffRow",
    "Edge",
    "EmptyStoreError",
    "Evaluation",
    "Impact",
    "ImpactedVersion",
    "InfraCheck",
    "Lineage",
    "LineageError",
    "LineageGraph",
    "Node",
    "Trace",
    "Training",
    "UnknownTargetError",
    "VersionDiff",
]
