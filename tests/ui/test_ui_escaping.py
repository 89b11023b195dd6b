"""In Chromium: a `<script>` in a model name or a property renders as text and never runs, and
the request guard really catches a request to another host."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from pipeline.metadata import open_store, sqlite_spec
from pipeline.registry import Registry, schema

from .conftest import open_browser, running_ui, synthetic_home

NAME = "<script>window.__pwned = 'name'</script>"
LAUNCHED_BY = "<script>window.__pwned = 'property'</script>"
ACTOR = "<img src=x onerror=\"window.__pwned = 'actor'\">"


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory) -> str:
    """A synthetic store with hostile text where MLMD lets anyone write it."""
    home = synthetic_home(tmp_path_factory, "ui-hostile")
    path = f"{home}/metadata.sqlite"
    store = open_store(sqlite_spec(path))
    version = store.get_artifact_by_type_and_name(schema.MODEL_VERSION, "model-000@2")
    version.custom_properties["launched_by"].string_value = LAUNCHED_BY
    store.put_artifacts([version])
    Registry.open(sqlite_spec(path)).move("model-000", 2, "deprecated", actor=ACTOR,
                                          reason="<b>retired</b>")
    return home


@pytest.fixture(scope="module")
def hostile_ui(hostile_home):
    with running_ui(hostile_home) as server:
        yield server


def test_hostile_names_and_properties_render_as_text(hostile_ui, chromium):
    browser = open_browser(chromium, hostile_ui.url)
    page = browser.page
    # The registry refuses such a name, so it reaches a page as what was asked for.
    asked = f"compare?a={quote(NAME + '@1', safe='')}&b=model-000@1"
    assert page.goto(hostile_ui.url + asked).status == 404
    assert NAME in page.locator(".error").inner_text()
    page.goto(hostile_ui.url + "models/model-000")
    assert ACTOR in page.locator("#timeline").inner_text()
    assert "<b>retired</b>" in page.locator("#timeline").inner_text()
    page.goto(hostile_ui.url + "models/model-000/versions/2")
    assert LAUNCHED_BY in page.locator("#version-facts").inner_text()
    page.wait_for_selector("#lineage[data-ready=true]")
    page.evaluate("() => window.ledgerGraph.nodes('[type = \"ModelVersion\"]').emit('tap')")
    assert LAUNCHED_BY in page.locator("#node-facts").inner_text()
    assert page.evaluate("() => window.__pwned") is None
    assert browser.errors == [] and browser.outside == []


def test_the_request_guard_catches_other_hosts(hostile_ui, chromium):
    browser = open_browser(chromium, hostile_ui.url)
    browser.page.goto(hostile_ui.url)
    browser.page.evaluate("() => fetch('http://192.0.2.1/beacon').catch(() => null)")
    assert browser.outside == ["http://192.0.2.1/beacon"]
