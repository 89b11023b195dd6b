"""create_pipeline is a pure factory: the node graph for a config, with no file or MLMD I/O."""
from __future__ import annotations

import os

import pytest

from pipeline.paths import LedgerPaths

NODES = ["RawDataImporter", "TypedCsvExampleGen", "StatisticsGen", "SchemaGen",
         "ExampleValidator", "Transform", "DataLineage", "LedgerTrainer",
         "latest_blessed_model_resolver", "Evaluator", "LedgerInfraValidator", "ModelApproval",
         "VersionedPusher"]


def _build(penguins, tmp_path, **options):
    from pipeline.pipeline import create_pipeline
    paths = LedgerPaths(str(tmp_path / "never-created"))
    return create_pipeline(pipeline_name="p", pipeline_root=paths.pipeline_root, dataset=penguins,
                           serving_root=paths.serving_root,
                           metadata_connection='{"sqlite": "/nonexistent/m.sqlite"}', **options)


def test_graph_has_every_stage_and_touches_no_file(penguins, tmp_path):
    pipeline = _build(penguins, tmp_path)
    assert sorted(c.id for c in pipeline.components) == sorted(NODES)
    assert not os.path.exists(tmp_path / "never-created")
    ids = {c.id: c for c in pipeline.components}
    assert {n.id for n in ids["LedgerTrainer"].upstream_nodes} >= {"Transform", "DataLineage",
                                                                  "SchemaGen"}
    assert {n.id for n in ids["VersionedPusher"].upstream_nodes} == {
        "LedgerTrainer", "ModelApproval", "LedgerInfraValidator"}


def test_without_baseline_there_is_no_resolver(penguins, tmp_path):
    pipeline = _build(penguins, tmp_path, baseline=False)
    ids = [c.id for c in pipeline.components]
    assert "latest_blessed_model_resolver" not in ids
    evaluator = next(c for c in pipeline.components if c.id == "Evaluator")
    assert "latest_blessed_model_resolver" not in {n.id for n in evaluator.upstream_nodes}


def test_unknown_approval_mode_is_refused(penguins, tmp_path):
    from components.model_approval.policy import PolicyError
    with pytest.raises(PolicyError, match="approval mode must be one of auto, manual"):
        _build(penguins, tmp_path, approval_mode="sometimes")
