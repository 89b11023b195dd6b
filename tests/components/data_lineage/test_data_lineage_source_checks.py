"""The executor fails, naming the file, when a source file vanished, broke or changed."""
from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from components.data_lineage import lineage
from components.data_lineage.lineage import SourceFileError


@pytest.fixture
def recorded_copy(source_copy, recorded_properties):
    """A source copy plus the properties the runner recorded for it at run start."""
    return source_copy, recorded_properties(source_copy)


def _run(run_lineage, lineage_data, exec_properties, source, recorded):
    return run_lineage(lineage_data, source, exec_properties, recorded)


def test_deleted_source_file_fails_naming_it(run_lineage, lineage_data, exec_properties,
                                             recorded_copy):
    source, recorded = recorded_copy
    path = os.path.join(source, "data.csv")
    os.remove(path)
    with pytest.raises(SourceFileError, match="vanished.*" + re.escape(path)):
        _run(run_lineage, lineage_data, exec_properties, source, recorded)


def test_file_replaced_by_directory_fails_naming_it(run_lineage, lineage_data, exec_properties,
                                                    recorded_copy):
    source, recorded = recorded_copy
    path = os.path.join(source, "data.csv")
    os.remove(path)
    os.mkdir(path)  # root ignores chmod 000, so unreadable is simulated by a non-file
    with pytest.raises(SourceFileError, match="no longer a regular file: " + re.escape(path)):
        _run(run_lineage, lineage_data, exec_properties, source, recorded)


@pytest.mark.parametrize("recorded_at_start", [True, False])
def test_dangling_symlink_fails_naming_it(run_lineage, lineage_data, exec_properties,
                                          recorded_copy, recorded_at_start):
    source, recorded = recorded_copy
    path = os.path.join(source, "data.csv")
    os.remove(path)
    os.symlink(os.path.join(source, "gone.csv"), path)
    with pytest.raises(SourceFileError, match="unreadable: " + re.escape(path)):
        _run(run_lineage, lineage_data, exec_properties, source,
             recorded if recorded_at_start else None)


def test_changed_byte_against_recorded_sha256_fails_naming_file(
        run_lineage, lineage_data, exec_properties, recorded_copy):
    source, recorded = recorded_copy
    path = os.path.join(source, "data.csv")
    with open(path, "ab") as handle:
        handle.write(b"\n")
    with pytest.raises(SourceFileError, match="changed since the run started: " + re.escape(path)):
        _run(run_lineage, lineage_data, exec_properties, source, {"sha256": recorded["sha256"]})


def test_file_read_but_not_recorded_at_start_fails_naming_it(run_lineage, lineage_data,
                                                             exec_properties, recorded_copy):
    source, recorded = recorded_copy
    shutil.copy(os.path.join(source, "data.csv"), os.path.join(source, "late.csv"))
    with pytest.raises(SourceFileError, match="appeared.*late.csv"):
        run_lineage(lineage_data, source, exec_properties, recorded, ["data.csv", "late.csv"])


def test_files_beside_the_data_are_neither_checked_nor_in_the_id(
        run_lineage, lineage_data, exec_properties, recorded_copy, tmp_path):
    """A run log, a ledger home or the dataset config next to the CSV change nothing."""
    source, recorded = recorded_copy
    before = run_lineage(lineage_data, source, exec_properties, recorded, ["data.csv"])
    with open(os.path.join(source, "run.log"), "w") as log:  # written during the run
        log.write("still running\n")
    os.makedirs(os.path.join(source, "home", "pipelines"))
    after = run_lineage(lineage_data, source, exec_properties, recorded, ["data.csv"])
    assert after.dataset_version_id == before.dataset_version_id
    assert [f["name"] for f in json.loads(after.source_files)] == ["data.csv"]
    elsewhere = shutil.copytree(source, str(tmp_path / "elsewhere" / "data"))
    with open(os.path.join(elsewhere, "dataset.yaml"), "w") as config:
        config.write("name: other\n")
    moved = run_lineage(lineage_data, elsewhere, exec_properties,
                        lineage.recorded_properties(elsewhere, "*.csv"), ["data.csv"])
    assert moved.dataset_version_id == before.dataset_version_id
