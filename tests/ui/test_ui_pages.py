"""Page data and HTML over a small synthetic store, in-process: registry summaries, versions,
per-record verification (a tampered record shows failed), compare, errors, escaping."""
from __future__ import annotations

import sqlite3

import pytest
from starlette.testclient import TestClient

from benchmarks.make_synthetic_store import build
from pipeline.lineage.api import Lineage
from pipeline.metadata import open_store, sqlite_spec
from pipeline.registry import Registry
from pipeline.ui.app import create_app
from pipeline.ui.pages import models
from pipeline.ui.pages.registry_view import model_summaries
from pipeline.ui.verification import FAILED, LEGACY_UNSIGNED, RecordStatuses


@pytest.fixture
def synthetic(tmp_path):
    """12 runs of two models (every run approved and deployed, six versions each)."""
    path = str(tmp_path / "metadata.sqlite")
    build(open_store(sqlite_spec(path)), 12, 2, 2, "/synthetic")
    return path


def _client(path: str) -> TestClient:
    return TestClient(create_app(Lineage.open(sqlite_spec(path))))


def test_summaries_without_heads_match_the_registrys_after_a_deprecation(synthetic):
    registry = Registry.open(sqlite_spec(synthetic))
    production = registry.production("model-001").version
    registry.move("model-001", production, "deprecated", actor="carol", reason="retired")
    # The query path for stores written before per-model heads, against the heads' answer.
    summaries = model_summaries(registry.store)
    assert summaries == registry.models() == models.models_page(registry)
    assert {s.name: s.production_version for s in summaries}["model-001"] != production


def test_model_page_rows_and_a_tampered_record(synthetic):
    registry = Registry.open(sqlite_spec(synthetic))
    page = models.model_page(registry, RecordStatuses(registry.store, None), "model-000")
    assert [r.info.version for r in page.rows] == [6, 5, 4, 3, 2, 1]
    assert {r.verification for r in page.rows} == {LEGACY_UNSIGNED}
    assert page.plot["versions"] == [1, 2, 3, 4, 5, 6]
    [record] = [r for r in registry.history("model-000", 3) if r.to_stage == "approved"]
    with sqlite3.connect(synthetic) as db:
        db.execute("UPDATE ExecutionProperty SET string_value = 'mallory' "
                   "WHERE execution_id = ? AND name = 'actor'", (record.execution_id,))
    page = models.model_page(registry, RecordStatuses(registry.store, None), "model-000")
    failed = {r.info.version: r.why for r in page.rows if r.verification == FAILED}
    assert list(failed) == [3] and "record modified" in failed[3][0]
    [entry] = [e for e in page.timeline if e.record.execution_id == record.execution_id]
    assert entry.status == FAILED


def test_pages_answer_and_unknown_names_are_404(synthetic):
    client = _client(synthetic)
    assert "model-001@6" in client.get("/").text
    model = client.get("/models/model-000")
    assert model.status_code == 200 and model.text.count('<tr data-version="') == 6
    assert "app;dur=" in model.headers["server-timing"]
    version = client.get("/models/model-000/versions/2")
    assert version.status_code == 200 and "model-000@2" in version.text
    compare = client.get("/compare", params={"a": "model-000@1", "b": "model-000@2"})
    assert compare.status_code == 200 and 'class="differs"' in compare.text
    dataset_version_id = Registry.open(sqlite_spec(synthetic)).version(
        "model-000", 2).dataset_version_id
    dataset = client.get(f"/datasets/{dataset_version_id}")
    assert dataset.status_code == 200 and f"Dataset version {dataset_version_id}" in dataset.text
    missing = client.get("/models/model-009")
    assert missing.status_code == 404 and "no model named" in missing.text
    assert client.get("/models/model-000/versions/99").status_code == 404
    assert client.get("/datasets/dsv-0000/impact").status_code == 404


def test_mlmd_values_are_escaped_in_html(synthetic):
    registry = Registry.open(sqlite_spec(synthetic))
    registry.move("model-000", 6, "deprecated", actor="<script>alert(1)</script>",
                  reason="<img src=x onerror=alert(2)>")
    text = _client(synthetic).get("/models/model-000").text
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(2)&gt;" in text


def test_model_page_pages_through_versions_newest_first(synthetic, monkeypatch):
    monkeypatch.setattr(models, "PAGE_SIZE", 4)
    registry = Registry.open(sqlite_spec(synthetic))
    first = models.model_page(registry, RecordStatuses(registry.store, None), "model-000")
    assert [r.info.version for r in first.rows] == [6, 5, 4, 3] and first.older == 3
    assert {e.record.version for e in first.timeline} == {6, 5, 4, 3}
    assert first.plot["versions"] == [1, 2, 3, 4, 5, 6]  # the plot covers every version
    last = models.model_page(registry, RecordStatuses(registry.store, None), "model-000",
                             before=first.older)
    assert [r.info.version for r in last.rows] == [2, 1] and last.older is None
    assert last.summary == first.summary == registry.models()[0]
    html = _client(synthetic).get("/models/model-000", params={"before": 3}).text
    assert 'href="/models/model-000/versions/2"' in html
    assert 'href="/models/model-000/versions/3"' not in html.split('id="versions"')[1].split(
        "</table>")[0]
