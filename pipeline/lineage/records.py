"""Small dataclasses the lineage queries return instead of MLMD protos."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.registry import Transition, VersionInfo


@dataclass(frozen=True)
class Node:
    """One artifact or execution; `key` is unique across both kinds ("artifact:16")."""

    key: str
    id: int
    kind: str  # artifact | execution
    type: str  # short type name: the Kubeflow prefix ("ledger_types.", "tfx.") dropped
    name: str  # MLMD name, or the pipeline node id of an execution
    uri: str
    label: str
    state: str
    facts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    """An MLMD event drawn in the direction data flows: input artifact -> execution -> output."""

    source: str
    target: str
    event: str  # INPUT | OUTPUT
    key: str = ""  # the component's input or output key, e.g. "model", "baseline_model"


@dataclass(frozen=True)
class LineageGraph:
    """Nodes and edges of a lineage subgraph."""

    nodes: list[Node]
    edges: list[Edge]

    def of_type(self, *types: str) -> list[Node]:
        """Nodes whose short type is one of `types`, in id order."""
        return [n for n in self.nodes if n.type in types]

    def producers(self, key: str) -> list[Node]:
        """Executions that output the artifact `key`."""
        by_key = {n.key: n for n in self.nodes}
        return [by_key[e.source] for e in self.edges if e.target == key and e.event == "OUTPUT"]

    def inputs(self, key: str) -> list[Edge]:
        """Input edges of the execution `key`."""
        return [e for e in self.edges if e.target == key and e.event == "INPUT"]


@dataclass(frozen=True)
class DataProvenance:
    """The data a model was trained on: raw source digests and the dataset version made from it."""

    dataset_version_id: str = ""
    raw_data_uri: str = ""
    raw_data_sha256: str = ""
    raw_files: list = field(default_factory=list)
    source_sha256: str = ""
    examples_root_digest: str = ""
    schema_digest: str = ""
    code_revision: str = ""
    code_dirty: bool | None = None
    processing_steps: list = field(default_factory=list)


@dataclass(frozen=True)
class Training:
    """How a model was trained: trainer execution, hyperparameters, code and run manifest."""

    model_artifact_id: int
    trainer_execution_id: int = 0
    transform_execution_id: int = 0
    hyperparameters: dict = field(default_factory=dict)
    code_revision: str = ""
    run_manifest: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """The Evaluator's verdict: evaluation uri, blessing, and the version's headline metrics."""

    evaluation_uri: str = ""
    blessed: bool | None = None
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Approval:
    """The ModelApproval decision recorded on its ModelBlessing."""

    decision: str = ""
    decided_by: str = ""
    decided_at: str = ""
    reasons: list = field(default_factory=list)
    blessing_artifact_id: int = 0


@dataclass(frozen=True)
class InfraCheck:
    """The infra validator's InfraBlessing: served for real, and how fast."""

    blessed: bool | None = None
    reason: str = ""
    requests_sent: int | None = None
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    load_time_s: float | None = None


@dataclass(frozen=True)
class Trace:
    """Everything upstream of one registered version, and its graph."""

    version: VersionInfo
    data: DataProvenance
    training: Training
    evaluation: Evaluation
    approval: Approval | None
    infra: InfraCheck | None
    history: list[Transition]
    deployments: list[str]
    graph: LineageGraph
    # Each history record's verification state (registry/trust.py), or FAILED: why.
    history_status: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImpactedVersion:
    """A registry version trained on the data, with where it was deployed and what it served."""

    identifier: str
    stage: str
    model_artifact_id: int
    dataset_version_id: str
    pushed_to: list[str] = field(default_factory=list)
    deployed: list[Transition] = field(default_factory=list)
    captures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Impact:
    """Everything downstream of a dataset version or raw file digest."""

    target: str
    matched: list[Node]
    dataset_version_ids: list[str]
    model_artifact_ids: list[int]
    versions: list[ImpactedVersion]
    captures_recorded: bool
    graph: LineageGraph


@dataclass(frozen=True)
class AsOf:
    """Which version of a model was in production at a moment, and on whose word."""

    model_name: str
    at: str
    version: VersionInfo | None
    deployed_at: str = ""
    deployed_by: str = ""
    record_seq: int = 0
    first_deployed_at: str = ""

    @property
    def deployed(self) -> bool:
        return self.version is not None


@dataclass(frozen=True)
class DiffRow:
    """One compared fact of two versions."""

    field: str
    a: object
    b: object

    @property
    def same(self) -> bool:
        return self.a == self.b


@dataclass(frozen=True)
class VersionDiff:
    """Two versions side by side."""

    a: str
    b: str
    rows: list[DiffRow]
    graph_a: LineageGraph
    graph_b: LineageGraph
