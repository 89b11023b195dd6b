"""Same CSV bytes, same dataset id: whatever sits beside the CSV, and under either DirectRunner.

Two real runs of the ingestion pipeline (ExampleGen through DataLineage): one with the
in-memory DirectRunner in a directory that also holds the dataset config, notes, the ledger
home and a run log written while the run goes on; one with the multi-processing DirectRunner
in another directory with other neighbours.
"""
from __future__ import annotations

import json
import os
import shutil
import threading

import pytest

from pipeline.config import load_dataset_config
from pipeline.paths import PROJECT_ROOT

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]  # two ingestion runs: ~1 min alone
PENGUINS = os.path.join(PROJECT_ROOT, "data", "penguins", "penguins.csv")
CONFIG = ("name: penguins\npath: penguins.csv\nlabel: species\n"
          "numeric_features: [bill_length_mm, body_mass_g]\ncategorical_features: [island]\n"
          "missing_values: [NA]\n")
IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]
MULTI_PROCESSING = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


def _ingest(data_dir: str, home: str, beam_args: list[str]) -> dict:
    """Runs RawData..DataLineage on data_dir's config; returns the DatasetVersion's properties."""
    from tests.support.ingestion import run_ingestion

    dataset = load_dataset_config(os.path.join(data_dir, "dataset.yaml"))
    return run_ingestion(dataset, "dataset-id", os.path.join(home, "root"),
                         os.path.join(home, "mlmd.sqlite"), beam_args)


class _LogWriter(threading.Thread):
    """Appends to a log file in the data directory until stopped, as a run's own log would."""

    def __init__(self, path: str):
        super().__init__(daemon=True)
        self.path, self.lines, self.stop = path, 0, threading.Event()

    def run(self):
        while not self.stop.wait(0.2):
            with open(self.path, "a") as log:
                log.write(f"line {self.lines}\n")
            self.lines += 1


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    first = str(tmp_path_factory.mktemp("first") / "data")
    second = str(tmp_path_factory.mktemp("second") / "csv")
    for directory, neighbours in ((first, {"notes.txt": "mine"}),
                                  (second, {"other.csv": "a,b\n1,2\n", "README": "theirs"})):
        os.makedirs(directory)
        shutil.copy(PENGUINS, os.path.join(directory, "penguins.csv"))
        (open(os.path.join(directory, "dataset.yaml"), "w")).write(CONFIG)
        for name, text in neighbours.items():
            with open(os.path.join(directory, name), "w") as handle:
                handle.write(text)
    log = _LogWriter(os.path.join(first, "run.log"))
    log.start()
    try:  # the ledger home inside the data directory too
        in_memory = _ingest(first, os.path.join(first, "home"), IN_MEMORY)
    finally:
        log.stop.set()
        log.join()
    multi = _ingest(second, str(tmp_path_factory.mktemp("second-home")), MULTI_PROCESSING)
    return in_memory, multi, log.lines


def test_same_csv_same_id_across_neighbours_and_runner_modes(two_runs):
    in_memory, multi, log_lines = two_runs
    assert log_lines > 0, "the log was not written during the run"
    assert in_memory["dataset_version_id"] == multi["dataset_version_id"]
    assert in_memory["schema_digest"] == multi["schema_digest"]
    assert in_memory["split_record_digests"] == multi["split_record_digests"]
    for run in (in_memory, multi):
        assert [f["name"] for f in json.loads(run["source_files"])] == ["penguins.csv"]
    assert in_memory["source_sha256"] == multi["source_sha256"]
