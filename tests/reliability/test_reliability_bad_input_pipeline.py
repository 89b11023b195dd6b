"""Bad CSVs through real pipeline runs (one process): refused at ingestion, nothing pushed."""
from __future__ import annotations

import os

import pytest
from reliability_state import last_state

from pipeline.config import load_dataset_config
from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import PROJECT_ROOT, LedgerPaths

pytestmark = pytest.mark.pipeline

CONFIG = ("name: penguins\npath: csv/data.csv\nlabel: species\n"
          "numeric_features: [bill_length_mm, body_mass_g]\ncategorical_features: [island]\n"
          "missing_values: [NA]\n")
COLUMNS = "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year"


def _penguin_bytes() -> bytes:
    with open(os.path.join(PROJECT_ROOT, "data", "penguins", "penguins.csv"), "rb") as handle:
        return handle.read()


def _blank_column(data: bytes, column: str, rows=None) -> bytes:
    """The CSV with `column` set to NA on the given data rows (1-based; all when None)."""
    lines = data.decode().splitlines()
    index = lines[0].split(",").index(column)
    for number in rows or range(1, len(lines)):
        cells = lines[number].split(",")
        cells[index] = "NA"
        lines[number] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


CASES = {
    "label missing": (lambda d: _blank_column(d, "species", rows=[5, 77]),
                      ["label column 'species' is empty on 2 row(s), line(s) 6, 78"]),
    "all-missing numeric column": (lambda d: _blank_column(d, "body_mass_g"),
                                   ["body_mass_g hold no value in any of the 344 rows"]),
    "header only": (lambda d: (COLUMNS + "\n").encode(), ["a header but no data rows"]),
    "empty file": (lambda d: b"", ["the file is empty"]),
    "non-UTF-8 bytes": (lambda d: d.replace(b"Torgersen", b"Torg\xe9rsen", 1),
                        ["data.csv:2: not UTF-8 text"]),
    "huge line (50 MB)": (lambda d: d + b"Adelie," + b"9" * (50 << 20) + b"\n",
                          ["data.csv:346: line is", "over the 1048576-byte limit"]),
}


def _assert_refused_and_nothing_pushed(run, paths, expected) -> int:
    """Checks the error and MLMD + serving root; returns the number of models pushed (lost)."""
    assert run.error is not None, "the pipeline accepted bad input"
    for text in expected:
        assert text in str(run.error), str(run.error)[:2000]
    assert last_state(paths, "TypedCsvExampleGen") == "FAILED"
    assert last_state(paths, "StatisticsGen") == "absent"  # nothing downstream ever started
    store = open_store(sqlite_spec(paths.metadata_path), must_exist=True)
    pushed = store.get_artifacts_by_type("PushedModel")
    assert store.get_artifacts_by_type("Model") == [] and pushed == []
    assert store.get_artifacts_by_type("ModelVersion") == []
    assert not os.path.exists(paths.serving_root) or os.listdir(paths.serving_root) == []
    return len(pushed)


@pytest.mark.parametrize("kind", list(CASES))
def test_bad_csv_stops_the_pipeline_at_ingestion(kind, tmp_path, pipeline_runner, outcome):
    make, expected = CASES[kind]
    os.makedirs(tmp_path / "csv")
    (tmp_path / "csv" / "data.csv").write_bytes(make(_penguin_bytes()))
    (tmp_path / "penguins.yaml").write_text(CONFIG)
    paths = LedgerPaths(str(tmp_path / "home"))
    run = pipeline_runner(load_dataset_config(str(tmp_path / "penguins.yaml")), paths)
    lost = _assert_refused_and_nothing_pushed(run, paths, expected)
    message = next(line for line in str(run.error).splitlines() if expected[0] in line)
    outcome(lost=lost, detail=message[message.index("data.csv"):][:90])


def _raw_example(island: str) -> bytes:
    import tensorflow as tf

    floats = {"bill_length_mm": 44.0, "bill_depth_mm": 17.0, "flipper_length_mm": 200.0,
              "body_mass_g": 4200.0}
    feature = {k: tf.train.Feature(float_list=tf.train.FloatList(value=[v]))
               for k, v in floats.items()}
    for key, value in (("island", island), ("sex", "female")):
        feature[key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def test_new_category_goes_to_the_out_of_vocabulary_bucket(recovered_home, outcome):
    """An island never seen in training is served through the single OOV bucket, not refused."""
    import tensorflow as tf

    version = recovered_home.facts["served"][0]
    path = os.path.join(recovered_home.paths.serving_root, "penguins", str(version))
    with open(os.path.join(path, "assets", "vocab_island")) as handle:
        known = handle.read().split()
    assert "Atlantis" not in known and len(known) == 3
    model = tf.saved_model.load(path)
    batch = tf.constant([_raw_example(i) for i in (*known, "Atlantis", "Nowhere")])
    ids = model.signatures["transform_features"](examples=batch)["island_xf"].numpy().ravel()
    assert list(ids) == [0, 1, 2, 3, 3]  # unseen islands share bucket len(vocabulary)
    classes = model.signatures["serving_default"](examples=batch)["classes"].numpy()
    assert {c.decode() for c in classes} <= {"Adelie", "Chinstrap", "Gentoo"}
    outcome(lost=0, detail="unseen island -> OOV bucket 3; served")
