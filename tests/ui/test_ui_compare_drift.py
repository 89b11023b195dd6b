"""In Chromium: the compare page of two penguins versions and the version page's drift reports
over time, each value checked against what MLMD holds (read here with plain store calls)."""
from __future__ import annotations

import json
import os

import pytest

from pipeline.ui import evidence
from pipeline.ui.formatting import number, pretty, when
from tests.conftest import TRAIN_STEPS

from .conftest import open_browser
from .test_ui_browser import CSV_SHA256

pytestmark = pytest.mark.pipeline


def _shown(value) -> str:
    """A fact as the pages print it: mappings as JSON, everything else through `number`."""
    return pretty(value) if isinstance(value, dict) else number(value)


def _model_facts(store, info) -> dict:
    """The Trainer's Model artifact's recorded facts, decoded from their MLMD properties."""
    [model] = store.get_artifacts_by_id([info.model_artifact_id])
    props = {k: v.string_value or v.int_value for k, v in model.custom_properties.items()}
    return {"hyperparameters": json.loads(props["hyperparameters"]),
            "run_manifest": json.loads(props["run_manifest"]),
            "code_revision": props["code_revision"]}


def _expected_rows(lineage, identifier: str) -> dict:
    """fact name -> text for the facts the compare page must show, from the store itself."""
    name, number_ = identifier.split("@")
    info = lineage.registry.version(name, int(number_))
    model = _model_facts(lineage.store, info)
    rows = {f"metric.{k}": _shown(v) for k, v in info.metrics.items()}
    rows.update({f"hyperparameter.{k}": _shown(v) for k, v in model["hyperparameters"].items()})
    rows.update({"training.train_steps": _shown(model["run_manifest"]["train_steps"]),
                 "dataset_version_id": info.dataset_version_id,
                 "digest.model": info.model_digest, "digest.raw_data": CSV_SHA256,
                 "code.model_revision": model["code_revision"]})
    return rows


def test_compare_shows_both_versions_facts_and_slices(ui, chromium, screenshot_dir, lineage,
                                                      second_version_run):
    newer = f"penguins@{os.path.basename(second_version_run.summary.pushed_model)}"
    browser = open_browser(chromium, ui.url)
    page = browser.page
    page.goto(ui.url + f"models/penguins/versions/{newer.split('@')[1]}")
    page.locator("form.compare select[name=a]").select_option("penguins@1")
    page.get_by_role("button", name="Compare").click()
    assert page.locator("h1").inner_text() == f"penguins@1 vs {newer}"
    left, right = _expected_rows(lineage, "penguins@1"), _expected_rows(lineage, newer)
    assert (left["training.train_steps"], right["training.train_steps"]) == (
        str(TRAIN_STEPS), str(TRAIN_STEPS + 50))
    for fact in left:
        cells = page.locator(f'#diff tr[data-fact="{fact}"] td').all_inner_texts()
        assert cells == [left[fact], right[fact]], fact
    for identifier in ("penguins@1", newer):
        trace = lineage.trace(identifier)
        slices = evidence.slice_metrics(trace.evaluation.evaluation_uri)
        names = list(slices[0].metrics)
        expected = [[s.slice, *(number(s.metrics[n]) for n in names)] for s in slices]
        table = page.locator(f'div.slices[data-version="{identifier}"] tbody tr')
        assert [row.locator("td").all_inner_texts() for row in table.all()] == expected
    browser.screenshot(screenshot_dir, "8-compare")
    page.locator("#only-differences").check()
    visible = page.locator("#diff tbody tr:visible").evaluate_all(
        "rows => rows.map(r => r.dataset.fact)")
    assert "training.train_steps" in visible and "digest.raw_data" not in visible
    assert {f for f in left if left[f] != right[f]} <= set(visible)
    assert browser.outside == [] and browser.errors == []


def _stored_reports(store) -> list[dict]:
    """penguins@1's DriftReport artifacts, oldest check first, their properties decoded."""
    found = []
    for artifact in store.get_artifacts_by_type("DriftReport"):
        props = {k: v.string_value or v.int_value for k, v in artifact.custom_properties.items()}
        if (props["model_name"], props["version"]) == ("penguins", 1):
            found.append(props)
    return sorted(found, key=lambda p: p["checked_at"])


def test_version_page_shows_the_drift_reports_over_time(ui, chromium, screenshot_dir, lineage,
                                                        drift_reports):
    calm, shifted = drift_reports
    assert "body_mass_g" in shifted.flagged and shifted.requests == calm.requests == 80
    stored = _stored_reports(lineage.store)
    checked = [r["checked_at"] for r in stored]
    assert checked.index(calm.checked_at) < checked.index(shifted.checked_at)
    browser = open_browser(chromium, ui.url)
    page = browser.page
    page.goto(ui.url + "models/penguins/versions/1")
    rows = page.locator("#drift-reports tbody tr")
    assert rows.count() == len(stored)
    for i, report in enumerate(stored):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[:4] == [when(report["checked_at"]), str(report["requests"]),
                             pretty(json.loads(report["drifted_features"])),
                             str(report["flagged"])]
        assert json.loads(cells[4]) == json.loads(report["max_scores"])
    # The figures of the two checks this session made, as `ledger drift` reported them.
    shown = rows.nth(checked.index(shifted.checked_at)).locator("td").all_inner_texts()
    assert json.loads(shown[2]) == shifted.flagged
    assert json.loads(shown[4]) == pytest.approx(shifted.max_scores())
    page.locator("#drift").scroll_into_view_if_needed()
    browser.screenshot(screenshot_dir, "9-version-drift")
    assert browser.outside == [] and browser.errors == []
