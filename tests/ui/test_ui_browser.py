"""Headless Chromium clicks models -> model -> version -> a lineage node -> its dataset ->
impact -> a prediction, and checks each page against the store; screenshots of every page."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest
from tensorflow_metadata.proto.v0 import statistics_pb2

from pipeline.paths import PROJECT_ROOT
from pipeline.registry.log import read_records
from pipeline.registry.reader import RegistryReader
from pipeline.settings import resolve
from pipeline.ui.formatting import number

from .conftest import LEDGER, open_browser
from .graph_geometry import READ_DRAWING, edges_through_boxes, labels_outside_boxes

pytestmark = pytest.mark.pipeline

CSV_SHA256 = hashlib.sha256(
    open(f"{PROJECT_ROOT}/data/penguins/penguins.csv", "rb").read()).hexdigest()
ROW = {"island": "Biscoe", "bill_length_mm": 45.2, "bill_depth_mm": 14.8,
       "flipper_length_mm": 212.0, "body_mass_g": 5200.0, "sex": "female", "year": 2008}


@pytest.fixture(scope="module")
def captured_prediction(ui, drift_reports, penguin_home):
    """One prediction of penguins@1, captured in the shared home (as `ledger serve` does): after
    the drift checks' predictions, and any other test's, so the impact page lists it among the
    newest of penguins@1."""
    from pipeline.serving import Predictor

    with Predictor.load("penguins@1", penguin_home) as predictor:
        [prediction] = predictor.predict([ROW])
    return prediction


# docs/ui.md shows exactly these command lines (its doc-test checks they are here; the server
# command, SERVE, is in conftest.py).
EXPORT = "curl -s -o penguins-1-audit.json http://127.0.0.1:8600/models/penguins/versions/1/audit.json"  # noqa: E501
VERIFY = "ledger verify --bundle penguins-1-audit.json"


def _click_node(page, selector: str) -> None:
    """A real mouse click on the lineage node matching the Cytoscape `selector`."""
    graph = page.locator("#lineage")
    graph.scroll_into_view_if_needed()
    page.evaluate("s => window.ledgerGraph.center(window.ledgerGraph.nodes(s))", selector)
    spot = page.evaluate("s => window.ledgerGraph.nodes(s)[0].renderedPosition()", selector)
    box = graph.bounding_box()
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])


def _models_page(page, lineage) -> None:
    [summary] = [m for m in lineage.registry.models() if m.name == "penguins"]
    row = page.locator('#models tr[data-model="penguins"]')
    assert row.locator(".production").inner_text() == f"penguins@{summary.production_version}"
    assert row.locator(".latest").inner_text().startswith(f"penguins@{summary.latest_version}")


def _model_page(page, lineage) -> None:
    versions = lineage.registry.versions("penguins")
    assert page.locator("#versions tbody tr").count() == len(versions)
    for info in versions:
        cells = page.locator(f'#versions tr[data-version="{info.version}"] td').all_inner_texts()
        assert cells[0] == info.identifier and cells[1] == info.stage
        assert info.dataset_version_id in cells and info.approved_by in cells
        assert number(info.metrics["sparse_categorical_accuracy"]) in cells
    assert page.locator("#timeline li").count() == len(lineage.registry.history("penguins"))
    page.wait_for_selector("#metrics-plot[data-ready=true]")


def _version_page(page, lineage, home) -> None:
    trace = lineage.trace("penguins@1")
    # The registry's own per-record verdict, with the home's allowed signers, as `ledger ui`.
    trusting = RegistryReader.from_settings(resolve(home=home))
    overall = page.locator("#slices tbody tr").first.locator("td").all_inner_texts()
    assert overall[0] == "Overall"
    assert number(trace.evaluation.metrics["sparse_categorical_accuracy"]) in overall
    assert page.locator("#slices tbody tr").count() == 1 + 3  # Overall + three islands
    history = lineage.registry.history("penguins", 1)
    rows = page.locator("#history tbody tr")
    assert rows.count() == len(history)
    for i, record in enumerate(history):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[0] == str(record.seq) and cells[3] == record.actor
        assert cells[6] == trusting.record_status(record).state
    infra = page.locator("#infra-facts").inner_text()
    assert f"{number(trace.infra.latency_p50_ms)} ms" in infra
    assert "approved" in page.locator("#approval .decision").inner_text()
    page.wait_for_selector("#lineage[data-ready=true]")
    drawing = page.evaluate(READ_DRAWING)
    assert len(drawing["boxes"]) == len(trace.graph.nodes)
    assert edges_through_boxes(drawing) == [] and labels_outside_boxes(drawing) == []


def _dataset_page(page, dataset_version_id: str, lineage) -> None:
    assert dataset_version_id in page.locator("h1").inner_text()
    [stats_node] = lineage.trace("penguins@1").graph.of_type("ExampleStatistics")
    expected = set()
    for split in ("train", "eval"):
        with open(os.path.join(stats_node.uri, f"Split-{split}", "FeatureStats.pb"), "rb") as f:
            stats = statistics_pb2.DatasetFeatureStatisticsList.FromString(f.read())
        expected |= {(split, ".".join(feature.path.step)) for feature in stats.datasets[0].features}
    shown = {tuple(row.locator("td").all_inner_texts()[:2])
             for row in page.locator("table.stats tbody tr").all()}
    assert shown == expected


def test_click_through_models_to_a_prediction(ui, chromium, screenshot_dir, lineage,
                                              captured_prediction, penguin_home):
    browser = open_browser(chromium, ui.url)
    page = browser.page
    shots = []
    page.goto(ui.url)
    _models_page(page, lineage)
    shots.append(browser.screenshot(screenshot_dir, "1-models"))

    page.locator('#models a[href="/models/penguins"]').click()
    _model_page(page, lineage)
    shots.append(browser.screenshot(screenshot_dir, "2-model"))

    page.locator('#versions a[href="/models/penguins/versions/1"]').click()
    _version_page(page, lineage, penguin_home.home)
    shots.append(browser.screenshot(screenshot_dir, "3-version"))

    page.locator("#lineage").screenshot(path=os.path.join(screenshot_dir, "3-version-graph.png"))
    dataset_version_id = lineage.registry.version("penguins", 1).dataset_version_id
    _click_node(page, "[type = 'DatasetVersion']")
    facts = page.locator("#node-facts")
    assert dataset_version_id in facts.locator("h3").inner_text()
    shots.append(browser.screenshot(screenshot_dir, "3-version-node-clicked"))
    facts.locator("a.node-link").click()
    _dataset_page(page, dataset_version_id, lineage)
    shots.append(browser.screenshot(screenshot_dir, "4-dataset"))

    page.locator("a.impact").click()
    page.wait_for_selector("#lineage[data-ready=true]")
    drawing = page.evaluate(READ_DRAWING)
    assert edges_through_boxes(drawing) == [] and labels_outside_boxes(drawing) == []
    impact = lineage.impact(dataset_version_id)
    assert len(drawing["boxes"]) == len(impact.graph.nodes)
    shown = page.locator("#impacted tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.version)")
    assert shown == [v.identifier for v in impact.versions]
    prediction_id = captured_prediction.receipt.prediction_id
    shots.append(browser.screenshot(screenshot_dir, "5-impact"))

    page.locator("a.prediction", has_text=prediction_id).click()
    assert page.locator("#verification .verified").inner_text().startswith("Receipt valid")
    inputs = dict(row.locator("th, td").all_inner_texts()
                  for row in page.locator("table.inputs tr").all())
    assert inputs["island"] == "Biscoe" and inputs["body_mass_g"] == number(5200.0)
    outputs = page.locator("table.outputs").inner_text()
    assert captured_prediction.class_name in outputs
    assert page.locator("#trace code.sha").inner_text() == CSV_SHA256
    shots.append(browser.screenshot(screenshot_dir, "6-prediction"))

    # The same prediction from its receipt pasted as a served response row, then altered.
    pasted = {"receipt": captured_prediction.receipt.to_dict(),
              "outputs": captured_prediction.outputs}
    page.goto(ui.url + "predictions")
    page.locator("textarea[name=receipt]").fill(json.dumps(pasted))
    page.get_by_role("button", name="Verify and trace").click()
    assert page.locator("#verification h2").inner_text() == prediction_id
    shots.append(browser.screenshot(screenshot_dir, "7-prediction-from-receipt"))
    other_class = f"not-{captured_prediction.class_name}"
    altered = {**pasted, "outputs": {**pasted["outputs"], "classes": other_class}}
    page.locator("textarea[name=receipt]").fill(json.dumps(altered))
    page.get_by_role("button", name="Verify and trace").click()
    assert "outputs altered" in page.locator("#lookup-error").inner_text()

    assert all(os.path.getsize(path) > 10_000 for path in shots)
    assert browser.outside == [] and browser.errors == []


def test_documented_audit_export_verifies_offline(ui, penguin_home, tmp_path):
    assert ui.url == "http://127.0.0.1:8600/"
    env = dict(os.environ, PATH=os.path.dirname(LEDGER) + os.pathsep + os.environ["PATH"],
               LEDGER_HOME=penguin_home.home)
    env.pop("LEDGER_SIGNING_KEY", None)
    # What the registry itself says of these records decides the outcome: all signed by an
    # allowed signer exits 0, intact but legacy (written before signatures) exits 3.
    trusting = RegistryReader.from_settings(resolve(home=penguin_home.home))
    records = [record for _, record in read_records(trusting.store)]  # the bundle holds all
    signed = sum(trusting.record_status(r).state == "verified" for r in records)
    for line, exit_code in ((EXPORT, 0), (VERIFY, 0 if signed == len(records) else 3)):
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", line], cwd=tmp_path, env=env,
                              text=True, capture_output=True, timeout=120)
        assert done.returncode == exit_code, done.stdout + done.stderr
    bundled = json.loads((tmp_path / "penguins-1-audit.json").read_text())
    assert len(bundled["governance_log"]["records"]) == len(records)
    sections = len(bundled["evidence"]) + 2  # and the version and its lineage
    assert done.stdout.strip().splitlines() == [
        f"audit bundle penguins-1-audit.json of penguins@1: ok ({len(records)} records checked, "
        f"{signed} signed by allowed signers, {len(records) - signed} legacy)",
        f"evidence: {sections} sections signed at export by pipeline; bound to signed content: "
        f"training (model signature), data ({bundled['version']['dataset_version_id']})"]
