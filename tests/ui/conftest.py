"""UI fixtures: a `ledger ui` process over a store, headless Chromium that may only reach it,
and a directory for page screenshots (kept after the run for people to look at)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from pipeline.paths import PROJECT_ROOT

LEDGER = os.path.join(os.path.dirname(sys.executable), "ledger")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
URL = re.compile(r"http://\S+/")


@dataclass
class UIServer:
    """A running `ledger ui` process and the URL it printed."""

    process: subprocess.Popen
    url: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_ui(argv: list[str], home: str) -> UIServer:
    """Run `argv` (a `ledger ui ...` command line) with LEDGER_HOME=`home`; wait for its URL."""
    environment = dict(os.environ, LEDGER_HOME=home, PYTHONUNBUFFERED="1")
    environment.pop("LEDGER_SIGNING_KEY", None)
    process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=environment, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = process.stdout.readline()
    found = URL.search(line)
    if not found:
        process.kill()
        raise AssertionError(f"ledger ui did not start: {line}{process.stdout.read()}")
    server = UIServer(process, found.group(0))
    for _ in range(100):
        try:
            urllib.request.urlopen(server.url, timeout=5).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError(f"ledger ui never answered on {server.url}")


@contextmanager
def running_ui(home: str, argv: tuple[str, ...] = ("ui", "--port", "0")):
    """`ledger ARGV` over `home` while the block runs (any free port unless ARGV names one)."""
    server = start_ui([LEDGER, *argv], home)
    try:
        yield server
    finally:
        server.stop()


def synthetic_home(tmp_path_factory, name: str) -> str:
    """A home holding the benchmark's synthetic store: 4 runs of one model, 2 per dataset."""
    from benchmarks.make_synthetic_store import build
    from pipeline.metadata import open_store, sqlite_spec

    home = tmp_path_factory.mktemp(name)
    build(open_store(sqlite_spec(str(home / "metadata.sqlite"))), 4, 1, 2, "/synthetic")
    return str(home)


@dataclass
class Browser:
    """One Chromium page; every request outside `allowed` is aborted and remembered."""

    page: object
    allowed: str
    outside: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def screenshot(self, directory: str, name: str) -> str:
        path = os.path.join(directory, f"{name}.png")
        self.page.screenshot(path=path, full_page=True)
        return path


# Kept in the checkout (ignored by git) rather than pytest's tmp: pytest prunes old tmp dirs.
SCREENSHOTS = os.path.join(PROJECT_ROOT, "test-artifacts", "ui-screenshots")


@pytest.fixture(scope="session")
def screenshot_dir() -> str:
    """Screenshots of every page the browser tests visit, replaced at each run."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    os.makedirs(SCREENSHOTS)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_browser(chromium, base_url: str) -> Browser:
    """A fresh context (no profile state) whose requests may only go to `base_url`."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    browser = Browser(page, base_url)

    def route(request_route):
        url = request_route.request.url
        if url.startswith(base_url) or url.startswith("data:"):
            request_route.continue_()
        else:
            browser.outside.append(url)
            request_route.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda error: browser.errors.append(str(error)))
    return browser


# docs/ui.md shows exactly this command line (its doc-test checks it is here).
SERVE = "ledger ui --port 8600"


@pytest.fixture(scope="session")
def ui(first_run, penguin_home):
    """`ledger ui --port 8600` over the shared pipeline home, for every browser test."""
    with running_ui(penguin_home.home, tuple(SERVE.split()[1:])) as server:
        yield server


@pytest.fixture(scope="session")
def lineage(first_run, penguin_home):
    from pipeline.lineage.api import Lineage
    from pipeline.metadata import sqlite_spec

    return Lineage.open(sqlite_spec(penguin_home.metadata_path), penguin_home)


def _predict_and_check(rows: list[dict], home):
    """Real predictions of penguins@1 captured in `home`, then `ledger drift`'s check of them."""
    from pipeline.monitoring import check_drift
    from pipeline.serving import Predictor

    with Predictor.load("penguins@1", home) as predictor:
        predictor.predict(rows)
    return check_drift("penguins@1", home, files=predictor.capture.files)


@pytest.fixture(scope="session")
def drift_reports(first_run, penguin_home, penguins) -> list:
    """Two drift checks of penguins@1 in the shared home, oldest first (DriftResults): requests
    as trained on, then the same requests with body_mass_g three standard deviations up."""
    import random
    import statistics

    from components.csv_ingest.parsing import ColumnTypes, read_rows

    types = ColumnTypes(numeric=tuple(penguins.numeric_features),
                        strings=(*penguins.categorical_features, penguins.label),
                        missing_values=tuple(penguins.missing_values))
    with open(penguins.path, encoding="utf-8") as handle:
        rows = [r for r in read_rows(handle, types, penguins.path) if None not in r.values()]
    features = penguins.numeric_features + penguins.categorical_features
    sample = [{k: r[k] for k in features} for r in random.Random(5).sample(rows, 80)]
    shift = 3 * statistics.pstdev(r["body_mass_g"] for r in rows)
    shifted = [dict(r, body_mass_g=r["body_mass_g"] + shift) for r in sample]
    return [_predict_and_check(sample, penguin_home), _predict_and_check(shifted, penguin_home)]
