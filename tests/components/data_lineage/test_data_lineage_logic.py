"""Unit tests for the plain logic modules (no TFX, no TensorFlow)."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys

import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2

from components.data_lineage import lineage
from pipeline import provenance


def _write_records(path: str, payloads: list[bytes], compress: bool) -> None:
    """TFRecord framing with zero CRCs: count_records reads lengths, not checksums."""
    body = b"".join(struct.pack("<Q", len(p)) + b"\0" * 4 + p + b"\0" * 4 for p in payloads)
    with (gzip.open(path, "wb") if compress else open(path, "wb")) as handle:
        handle.write(body)


@pytest.mark.parametrize("compress", [True, False])
def test_count_records(tmp_path, compress):
    path = str(tmp_path / "r.tfrecord")
    _write_records(path, [b"a", b"", b"x" * 70000], compress)
    assert lineage.count_records(path) == 3


def test_count_records_rejects_truncated_file(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    _write_records(path, [b"abcdef"], compress=False)
    with open(path, "r+b") as handle:
        handle.truncate(15)
    with pytest.raises(ValueError, match="truncated"):
        lineage.count_records(path)


def test_split_summary_ignores_files_outside_splits(tmp_path):
    for split, n in (("train", 2), ("eval", 1)):
        os.makedirs(tmp_path / f"Split-{split}")
        _write_records(str(tmp_path / f"Split-{split}" / "d.gz"), [b"r"] * n, compress=True)
    dirs = {s: str(tmp_path / f"Split-{s}") for s in ("train", "eval", "test")}
    with pytest.raises(ValueError, match="'test' has no files"):
        lineage.split_summary(str(tmp_path), dirs)
    summary = lineage.split_summary(str(tmp_path), {s: dirs[s] for s in ("train", "eval")})
    assert summary["split_counts"] == {"train": 2, "eval": 1}
    assert summary["split_digests"]["train"] != summary["split_digests"]["eval"]


def test_recorded_properties_format(tmp_path):
    (tmp_path / "b.csv").write_bytes(b"2")
    (tmp_path / "a.csv").write_bytes(b"1")
    recorded = lineage.recorded_properties(str(tmp_path))
    files = json.loads(recorded["files"])
    assert files == [{"name": n, "size": 1, "sha256": hashlib.sha256(c).hexdigest()}
                     for n, c in (("a.csv", b"1"), ("b.csv", b"2"))]
    lines = "".join(f"{f['name']}\0{f['sha256']}\n" for f in files)
    assert recorded["sha256"] == hashlib.sha256(lines.encode()).hexdigest()
    _, source_sha256 = lineage.source_files(str(tmp_path), recorded["sha256"], recorded["files"])
    assert source_sha256 == recorded["sha256"]  # several files: the root digest


def test_recorded_sha256_of_a_single_file_is_the_file_digest(tmp_path):
    (tmp_path / "only.csv").write_bytes(b"a,b\n1,2\n")
    recorded = lineage.recorded_properties(str(tmp_path))
    assert recorded["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_source_files_empty_directory_fails(tmp_path):
    with pytest.raises(lineage.SourceFileError, match="no source files"):
        lineage.source_files(str(tmp_path))


def test_recorded_single_file_digest_is_accepted(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"1")
    digest = hashlib.sha256(b"1").hexdigest()
    assert lineage.source_files(str(tmp_path), recorded_sha256=digest)[1] == digest


def test_missing_counts_sums_splits_and_reads_paths():
    def stats(missing: int):
        stats_list = statistics_pb2.DatasetFeatureStatisticsList()
        dataset = stats_list.datasets.add()
        numeric = dataset.features.add()
        numeric.path.step.extend(["parent", "x"])
        numeric.num_stats.common_stats.num_missing = missing
        text = dataset.features.add(name="color")
        text.string_stats.common_stats.num_missing = 1
        return stats_list

    assert lineage.missing_counts({"train": stats(2), "eval": stats(5)}) == {
        "color": 2, "parent.x": 7}


def test_anomaly_names_union_and_dataset_level():
    train, eval_ = anomalies_pb2.Anomalies(), anomalies_pb2.Anomalies()
    train.anomaly_info["b"].description = "x"
    eval_.anomaly_info["a"].description = "y"
    eval_.anomaly_info["b"].description = "z"
    assert lineage.anomaly_names({"train": train, "eval": eval_}) == ["a", "b"]
    eval_.dataset_anomaly_info.description = "too few examples"
    assert lineage.anomaly_names({"eval": eval_}) == ["__dataset__", "a", "b"]


def test_dataset_version_id_changes_with_every_input():
    source = [{"name": "d.csv", "sha256": "1" * 64}]
    base = lineage.dataset_version_id(source, {"train": "2" * 64}, "3" * 64)
    assert base.startswith("dsv-") and len(base) == 20
    assert base == lineage.dataset_version_id(list(source), {"train": "2" * 64}, "3" * 64)
    assert base != lineage.dataset_version_id([{"name": "d.csv", "sha256": "4" * 64}],
                                              {"train": "2" * 64}, "3" * 64)
    assert base != lineage.dataset_version_id(source, {"train": "4" * 64}, "3" * 64)
    assert base != lineage.dataset_version_id(source, {"train": "2" * 64}, "4" * 64)
    renamed = [{"name": "elsewhere/data.csv", "sha256": "1" * 64}]  # same bytes, other place
    assert base == lineage.dataset_version_id(renamed, {"train": "2" * 64}, "3" * 64)


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_code_revision_clean_dirty_and_unversioned(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "code.py").write_text("x = 1\n")
    revision = provenance.CodeRevision
    assert provenance.code_revision(str(repo)) == revision("unversioned", False)  # not a checkout
    _git(repo, "init", "-q")
    _git(repo, "add", "code.py")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c")
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert len(head) == 40
    provenance.start_run()
    assert provenance.code_revision(str(repo)) == revision(head, False)
    (repo / "code.py").write_text("x = 2\n")
    assert provenance.code_revision(str(repo)) == revision(head, False)  # read once per run
    provenance.start_run()
    assert provenance.code_revision(str(repo)) == revision(head, True)


def test_module_digests_resolve_dotted_attribute_and_file(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_bytes(b"")
    (tmp_path / "pkg" / "prep.py").write_bytes(b"def fn(): pass\n")
    digest = hashlib.sha256(b"def fn(): pass\n").hexdigest()
    found = provenance.module_digests(["pkg.prep", "pkg.prep.fn", "pkg/prep.py"], str(tmp_path))
    assert [(m["file"], m["sha256"]) for m in found] == [("pkg/prep.py", digest)] * 3
    with pytest.raises(FileNotFoundError, match="no_such_module_xyz"):
        provenance.module_digests(["no_such_module_xyz"], str(tmp_path))


def test_steps_keep_order_and_attach_modules_and_outputs():
    steps = provenance.parse_steps(json.dumps({"ExampleGen": {"splits": [2, 1]},
                                               "Transform": {"module_path": "pkg.prep.fn"}}))
    steps = provenance.attach_output(steps, "transform", {"uri": "/g", "sha256": "s"})
    modules = [{"module": "pkg.prep", "file": "pkg/prep.py", "sha256": "m"},
               {"module": "other", "file": "other.py", "sha256": "o"}]
    stamped = provenance.stamp_steps(steps, provenance.CodeRevision("abc", True), modules)
    assert [s["name"] for s in stamped] == ["ExampleGen", "Transform", "modules"]
    assert stamped[0]["modules"] == [] and stamped[1]["modules"] == modules[:1]
    assert stamped[2]["modules"] == modules[1:]
    assert stamped[1]["outputs"] == [{"uri": "/g", "sha256": "s"}]
    assert all(s["code_revision"] == "abc" and s["code_dirty"] == 1 for s in stamped)


def test_logic_modules_import_no_tfx_or_tensorflow():
    code = ("import sys, components.data_lineage.lineage, pipeline.provenance, "
            "pipeline.properties\n"
            "print([m for m in sys.modules if m.split('.')[0] in ('tfx', 'tensorflow')])")
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_git_runs_once_for_run_key_lineage_and_manifest(monkeypatch):
    """The three readers of the revision in one run share one pair of git calls."""
    from components.ledger_trainer import manifest
    from pipeline import run_cache
    from pipeline.config import load_dataset_config
    from pipeline.paths import DEFAULT_DATASET_CONFIG

    calls = []
    real_run = subprocess.run

    def counting_run(command, *args, **kwargs):
        if command[:1] == ["git"]:
            calls.append(command)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    provenance.start_run()
    dataset = load_dataset_config(DEFAULT_DATASET_CONFIG)
    key = run_cache.run_key(dataset, {"sha256": "x"}, {})
    made = manifest.build_run_manifest(
        run_fn="models.model.run_fn", hyperparameters={}, train_steps=1, eval_steps=1,
        dataset_version_id="dsv-0", examples_uri="", transform_graph_uri="", model_digest="")
    stamped = provenance.stamp_steps([{"name": "x"}], provenance.code_revision(), [])
    assert len(calls) == 2  # rev-parse HEAD and status --porcelain, once
    assert made["code_revision"]["commit"] == stamped[0]["code_revision"]
    assert key.parts["revision"]
    assert made["module"]["file"] == "models/model.py"  # relative, as in the DatasetVersion
