"""Executor test: every DatasetVersion property against values computed here independently."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

PROJECT_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def _sha(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _root(files: dict) -> str:
    """The documented root digest: SHA-256 over sorted `relpath\\0sha256\\n` lines."""
    return hashlib.sha256("".join(f"{k}\0{files[k]}\n" for k in sorted(files)).encode()).hexdigest()


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", PROJECT_ROOT, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def version(lineage_data, exec_properties, recorded_properties, run_lineage):
    return run_lineage(lineage_data, lineage_data["source"], exec_properties,
                       recorded_properties(lineage_data["source"]))


def _split_files(data: dict, split: str) -> dict:
    split_dir = os.path.join(data["examples"], f"Split-{split}")
    return {name: os.path.join(split_dir, name) for name in os.listdir(split_dir)}


def test_source_files_and_digest(version, lineage_data):
    csv_path = os.path.join(lineage_data["source"], "data.csv")
    assert json.loads(version.source_files) == [
        {"name": "data.csv", "uri": csv_path, "size": os.path.getsize(csv_path),
         "sha256": _sha(csv_path)}]
    assert version.source_sha256 == _sha(csv_path)  # one file: its own digest


def test_split_counts_match_tf_data(version, lineage_data):
    import tensorflow as tf

    expected = {}
    for split in ("train", "eval"):
        paths = sorted(_split_files(lineage_data, split).values())
        expected[split] = sum(1 for _ in tf.data.TFRecordDataset(paths, compression_type="GZIP"))
    assert json.loads(version.split_counts) == expected == {"train": 15, "eval": 5}
    assert version.examples_uri == lineage_data["examples"]


def test_split_and_examples_root_digests(version, lineage_data):
    per_split, everything = {}, {}
    for split in ("train", "eval"):
        files = {name: _sha(path) for name, path in _split_files(lineage_data, split).items()}
        per_split[split] = _root(files)
        everything.update({f"Split-{split}/{name}": sha for name, sha in files.items()})
    assert json.loads(version.split_digests) == per_split
    assert version.examples_root_digest == _root(everything)


def test_split_record_digests_are_order_independent_content_sums(version, lineage_data):
    import tensorflow as tf

    expected = {}
    for split in ("train", "eval"):
        paths = sorted(_split_files(lineage_data, split).values())
        records = [tf.train.Example.FromString(r.numpy()).SerializeToString(deterministic=True)
                   for r in tf.data.TFRecordDataset(paths, compression_type="GZIP")]
        total = sum(int.from_bytes(hashlib.sha256(r).digest(), "big") for r in reversed(records))
        expected[split] = f"{total % 2**256:064x}"
    assert json.loads(version.split_record_digests) == expected


def test_schema_digest_ignores_the_order_schemagen_listed_features_in(version, lineage_data,
                                                                      tmp_path):
    """The multi-processing runner's SchemaGen lists features in another order: same digest."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    from components.data_lineage.lineage import canonical_schema_digest

    path = os.path.join(lineage_data["schema"], "schema.pbtxt")
    assert version.schema_digest == canonical_schema_digest(path)
    with open(path) as handle:
        schema = text_format.Parse(handle.read(), schema_pb2.Schema())
    assert len(schema.feature) > 2 and len(schema.string_domain) >= 1
    shuffled = schema_pb2.Schema()
    shuffled.CopyFrom(schema)
    del shuffled.feature[:]
    shuffled.feature.extend(reversed(schema.feature))
    for domain in shuffled.string_domain:
        domain.value[:] = list(reversed(domain.value))
    other = tmp_path / "schema.pbtxt"
    other.write_text(text_format.MessageToString(shuffled))
    assert other.read_bytes() != open(path, "rb").read()
    assert canonical_schema_digest(str(other)) == version.schema_digest
    shuffled.feature[0].presence.min_count += 1  # a real change still changes it
    other.write_text(text_format.MessageToString(shuffled))
    assert canonical_schema_digest(str(other)) != version.schema_digest


def test_missing_counts_are_summed_over_splits(version, lineage_data):
    columns = ("id", "x", "color", "label")
    csv_missing = {c: sum(1 for r in lineage_data["rows"] if r[c] == "") for c in columns}
    assert csv_missing["x"] == 3
    assert json.loads(version.missing_counts) == csv_missing


def test_anomalies_from_example_validator_output(version, lineage_data):
    assert lineage_data["expected_anomalies"] == ["color"]  # eval has an unseen color
    assert json.loads(version.anomaly_names) == ["color"]
    assert version.anomaly_count == 1


def _expected_revision() -> tuple[str, int]:
    head = _git("rev-parse", "HEAD")
    if head.returncode:
        return "unversioned", 0
    return head.stdout.strip(), int(bool(_git("status", "--porcelain").stdout.strip()))


def test_processing_steps_in_order_with_revision_and_modules(version, lineage_data):
    steps = json.loads(version.processing_steps)
    revision, dirty = _expected_revision()
    assert (version.code_revision, version.code_dirty) == (revision, dirty)
    assert [s["name"] for s in steps] == ["ExampleGen", "Transform", "modules"]
    assert all((s["code_revision"], s["code_dirty"]) == (revision, dirty) for s in steps)
    assert steps[0]["output_config"]["split_config"]["splits"][0]["name"] == "train"
    assert steps[1]["imputes"] == {"x": "mean"}
    preprocessing = os.path.join(PROJECT_ROOT, "models", "preprocessing.py")
    assert steps[1]["modules"] == [{"module": "models.preprocessing",
                                    "file": "models/preprocessing.py",
                                    "sha256": _sha(preprocessing)}]
    graph_file = os.path.join(lineage_data["transform_graph"], "transform_fn", "saved_model.pb")
    graph_root = _root({"transform_fn/saved_model.pb": _sha(graph_file)})
    assert steps[1]["outputs"][0]["sha256"] == graph_root
    lineage_py = os.path.join(PROJECT_ROOT, "components", "data_lineage", "lineage.py")
    assert steps[2]["modules"][0]["sha256"] == _sha(lineage_py)


def test_library_versions(version):
    import apache_beam
    import tensorflow
    import tensorflow_data_validation
    import tensorflow_transform
    import tfx

    from pipeline import provenance

    versions = json.loads(version.library_versions)
    assert versions == provenance.library_versions()  # the list the Trainer's manifest records
    assert {k: versions[k] for k in ("tfx", "tensorflow", "tensorflow-data-validation",
                                     "tensorflow-transform", "apache-beam", "python")} == {
        "tfx": tfx.__version__, "tensorflow": tensorflow.__version__,
        "tensorflow-data-validation": tensorflow_data_validation.__version__,
        "tensorflow-transform": tensorflow_transform.__version__,
        "apache-beam": apache_beam.__version__, "python": "%d.%d.%d" % sys.version_info[:3]}
    assert "tensorflow-model-analysis" in versions and "ml-metadata" in versions


def test_span_and_typed_properties(version):
    properties = version.mlmd_artifact.properties
    assert properties["span"].int_value == 3
    assert properties["anomaly_count"].int_value == 1
    assert properties["dataset_version_id"].string_value == version.dataset_version_id


def test_dataset_version_id_is_content_derived(version, lineage_data):
    lines = [f"source\0{json.loads(version.source_files)[0]['sha256']}\n"]
    records = json.loads(version.split_record_digests)
    lines += [f"split\0{s}\0{d}\n" for s, d in sorted(records.items())]
    lines.append(f"schema\0{version.schema_digest}\n")
    expected = "dsv-" + hashlib.sha256("".join(lines).encode()).hexdigest()[:16]
    assert version.dataset_version_id == expected


def test_same_bytes_same_id_one_changed_byte_new_id(
        version, lineage_data, source_copy, exec_properties, recorded_properties, run_lineage):
    def run():
        return run_lineage(lineage_data, source_copy, exec_properties,
                           recorded_properties(source_copy))

    again = run()
    assert again.dataset_version_id == version.dataset_version_id  # other path, same bytes
    path = os.path.join(source_copy, "data.csv")
    content = bytearray(open(path, "rb").read())
    content[-3] ^= 0x01
    open(path, "wb").write(bytes(content))
    changed = run()
    assert changed.dataset_version_id != version.dataset_version_id
