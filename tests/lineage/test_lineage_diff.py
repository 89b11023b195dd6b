"""diff() of penguins@1 and penguins@2: same data and code, other training budget and model."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.pipeline


def test_diff_shows_what_changed_and_what_did_not(lineage):
    rows = {r.field: r for r in lineage.diff("penguins@1", "penguins@2").rows}
    assert rows["dataset_version_id"].same and rows["digest.raw_data"].same
    assert rows["code.model_revision"].same
    assert not rows["digest.model"].same
    assert (rows["training.train_steps"].a, rows["training.train_steps"].b) == (200, 250)
    assert "metric.sparse_categorical_accuracy" in rows
    assert "hyperparameter.learning_rate" in rows


def test_diff_dot_marks_shared_and_own_nodes(lineage, ledger, shared_runs):
    result = ledger("--home", shared_runs.home, "diff", "penguins@1", "penguins@2", "--dot")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digraph")
    a, b = lineage.trace("penguins@1"), lineage.trace("penguins@2")
    dataset = next(n for n in a.graph.nodes if n.type == "DatasetVersion")
    model_b = next(n for n in b.graph.nodes if n.type == "Model")
    shared_line = next(line for line in result.stdout.splitlines() if f'"{dataset.key}" [' in line)
    own_line = next(line for line in result.stdout.splitlines() if f'"{model_b.key}" [' in line)
    assert "#e8eaed" in shared_line and "#d9f0d3" in own_line
