"""The HTML report opened in a real headless Chromium: the page loads and the graph is drawn."""

from __future__ import annotations

import html
import shutil
import subprocess

import pytest
from PIL import Image

pytestmark = pytest.mark.pipeline

WINDOW = (1400, 1000)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RAW_DATA_FILL = (0xD2, 0xE3, 0xFC)  # pipeline/lineage/dot.py COLOURS["RawData"]
DATASET_VERSION_FILL = (0xAE, 0xCB, 0xFA)  # COLOURS["DatasetVersion"]


@pytest.fixture(scope="module")
def report(ledger, shared_runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "penguins-1.html"
    result = ledger("--home", shared_runs.home, "report", "penguins@1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """chromium(*args, url) -> CompletedProcess, each call with its own throwaway profile."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("chromium is not on PATH: run scripts/install_test_deps.sh")

    def run(*args: str) -> subprocess.CompletedProcess:
        profile = tmp_path_factory.mktemp("chromium-profile")
        command = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=180)

    return run


def test_report_is_self_contained(report):
    page = report.read_text()
    assert "<svg" in page
    assert "<script" not in page and "<link" not in page and " src=" not in page


def test_report_loads_and_names_every_node(report, chromium, lineage):
    result = chromium("--dump-dom", f"file://{report}")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "Lineage of penguins@1" in dom
    for node in lineage.trace("penguins@1").graph.nodes:
        assert html.escape(node.label, quote=False) in dom, node.label
    assert dom.count('class="node artifact"') + dom.count('class="node execution"') == len(
        lineage.trace("penguins@1").graph.nodes)


def test_screenshot_shows_the_drawn_graph(report, chromium, tmp_path):
    png = tmp_path / "report.png"
    result = chromium(f"--screenshot={png}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                      f"file://{report}")
    assert result.returncode == 0 and png.exists(), result.stderr[-2000:]
    image = Image.open(png).convert("RGB")
    assert image.size == WINDOW
    colours = image.getcolors(maxcolors=WINDOW[0] * WINDOW[1])
    assert len(colours) > 50  # text, boxes and lines, not a blank page
    assert max(count for count, _ in colours) < 0.95 * WINDOW[0] * WINDOW[1]
    counts = {colour: count for count, colour in colours}
    # Filled node boxes of the graph, not just text: RawData on top, the DatasetVersion below.
    assert counts.get(RAW_DATA_FILL, 0) > 1000 and counts.get(DATASET_VERSION_FILL, 0) > 1000
