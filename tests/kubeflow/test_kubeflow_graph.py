"""The compiled DAG is the local DAG: same components and edges, Beam args on Beam steps."""
from __future__ import annotations

import pytest

LOCAL_COMPONENTS = {
    "RawDataImporter", "TypedCsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator",
    "Transform", "DataLineage", "LedgerTrainer", "latest_blessed_model_resolver", "Evaluator",
    "LedgerInfraValidator", "ModelApproval", "VersionedPusher"}
BEAM_ARGS = ["--runner=FlinkRunner", "--flink_master=flink-jobmanager:8081",
             "--environment_type=EXTERNAL", "--environment_config=localhost:50000"]


def _node_of(task: str, node_ids: set) -> str:
    """KFP task -> local node id (the blessed-model resolver compiles into two tasks)."""
    if task in node_ids:
        return task
    owners = [node for node in node_ids if task.startswith(node + "-")]
    assert len(owners) == 1, f"task {task} maps to no single local node"
    return owners[0]


def _spec_edges(spec: dict, node_ids: set) -> set:
    edges = set()
    for task, body in spec["root"]["dag"]["tasks"].items():
        producers = set(body.get("dependentTasks", []))
        producers |= {a["taskOutputArtifact"]["producerTask"]
                      for a in body.get("inputs", {}).get("artifacts", {}).values()}
        edges |= {(_node_of(p, node_ids), _node_of(task, node_ids)) for p in producers}
    return {(up, down) for up, down in edges if up != down}


@pytest.fixture(scope="module")
def local_graph(local_pipeline):
    nodes = {node.id: node for node in local_pipeline.components}
    edges = {(up.id, node.id) for node in nodes.values() for up in node.upstream_nodes}
    return nodes, edges


def test_compiled_dag_has_every_local_component(compiled, local_graph):
    nodes, _ = local_graph
    assert set(nodes) == LOCAL_COMPONENTS
    tasks = compiled.spec["root"]["dag"]["tasks"]
    assert {_node_of(task, set(nodes)) for task in tasks} == LOCAL_COMPONENTS


def test_compiled_dag_has_the_local_dependency_edges(compiled, local_graph):
    nodes, local_edges = local_graph
    assert ("ModelApproval", "VersionedPusher") in local_edges  # the graph is really wired
    assert _spec_edges(compiled.spec, set(nodes)) == local_edges


def test_beam_args_reach_every_beam_powered_component(compiled, local_graph):
    from tfx.dsl.components.base.executor_spec import BeamExecutorSpec

    nodes, _ = local_graph
    beam_nodes = {i for i, n in nodes.items() if isinstance(n.executor_spec, BeamExecutorSpec)}
    assert {"TypedCsvExampleGen", "StatisticsGen", "Transform", "Evaluator"} <= beam_nodes
    executors = compiled.spec["deploymentSpec"]["executors"]
    for node in beam_nodes:
        container = executors[f"{node}_executor"]["container"]
        assert container["args"][-len(BEAM_ARGS):] == BEAM_ARGS, node
    driver = executors["TypedCsvExampleGen_executor"]["container"]["lifecycle"]["preCacheCheck"]
    assert driver["args"][-len(BEAM_ARGS):] == BEAM_ARGS
    assert "--direct_running_mode=in_memory" not in str(executors)


def test_compile_refuses_a_process_that_loaded_the_local_artifact_types(local_pipeline,
                                                                        monkeypatch):
    from kubeflow.compile import CompileError, use_kubeflow_artifact_types

    monkeypatch.setenv("LEDGER_ARTIFACT_DIALECT", "mlmd")  # restored after the test
    with pytest.raises(CompileError, match="fresh"):
        use_kubeflow_artifact_types()
