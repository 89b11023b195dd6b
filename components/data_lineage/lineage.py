"""DataLineage decisions: source checks, split counts and digests, summaries, dataset version id."""
from __future__ import annotations

import glob
import gzip
import hashlib
import json
import os
import struct

from pipeline.digest import TreeDigest, root_digest, sha256_file, tree_digest

_GZIP_MAGIC = b"\x1f\x8b"
_TFRECORD_HEADER = 12  # uint64 length + uint32 masked CRC of the length
_TFRECORD_FOOTER = 4  # uint32 masked CRC of the payload
_MOD = 2**256
DATASET_ANOMALY = "__dataset__"  # anomaly_names entry for dataset-level anomalies


class SourceFileError(RuntimeError):
    """A raw input file vanished, became unreadable or changed after the run started."""


def _digest_source(source_dir: str, names: list[str] | None = None) -> TreeDigest:
    """Digests of the named files under source_dir (every file when `names` is None).

    An unreadable file is reported by name; a named file that is missing is left out, for the
    recorded-files check to name it.
    """
    try:
        if names is None:
            return tree_digest(source_dir)
        paths = {name: os.path.join(source_dir, name) for name in names}
        files = {name: sha256_file(path) for name, path in paths.items()
                 if os.path.lexists(path) and not os.path.isdir(path)}
        return TreeDigest(root_digest(files), files,
                          sum(os.path.getsize(os.path.join(source_dir, n)) for n in files))
    except OSError as err:
        name = err.filename or source_dir
        raise SourceFileError(f"source file unreadable: {name} ({err.strerror or err})") from err


def _check_recorded_files(source_dir: str, current: dict, recorded: list[dict]) -> None:
    """Fails naming the first file that vanished, changed or appeared since the run started."""
    for entry in recorded:
        name, path = entry["name"], os.path.join(source_dir, entry["name"])
        if name not in current:
            if os.path.lexists(path):
                raise SourceFileError(f"source file is no longer a regular file: {path}")
            raise SourceFileError(f"source file vanished after the run started: {path}")
        if entry.get("sha256") and entry["sha256"] != current[name]:
            raise SourceFileError(
                f"source file changed since the run started: {path} "
                f"(recorded sha256 {entry['sha256']}, now {current[name]})")
    extra = sorted(set(current) - {entry["name"] for entry in recorded})
    if extra:
        raise SourceFileError(
            f"source file appeared since the run started: {os.path.join(source_dir, extra[0])}")


def _check_recorded_sha256(source_dir: str, current: dict, root: str, recorded: str) -> None:
    """Fails unless the recorded digest is the current root digest (or the single file's)."""
    single = next(iter(current.values())) if len(current) == 1 else None
    if recorded in (root, single):
        return
    names = ", ".join(os.path.join(source_dir, name) for name in sorted(current))
    names = names or f"every file under {source_dir} vanished"
    raise SourceFileError(
        f"source changed since the run started: {names} (recorded sha256 {recorded}, now {root})")


def source_files(source_dir: str, recorded_sha256: str = "", recorded_files: str = "",
                 names: list[str] | None = None):
    """Digests the files a run reads and checks them against what was recorded at run start.

    `names` (relative to source_dir) are the files ExampleGen read; without them, the files
    recorded at run start; without those, every file under source_dir. Other files beside the
    data (a dataset config, a run log, a ledger home) are neither digested nor checked.

    Returns (files, source_sha256): files is a list of {"name", "uri", "size", "sha256"};
    source_sha256 is the single file's digest, or the root digest when there are several files.
    """
    if names is None and recorded_files:
        names = [entry["name"] for entry in json.loads(recorded_files)]
    tree = _digest_source(source_dir, names)
    if recorded_files:
        _check_recorded_files(source_dir, tree.files, json.loads(recorded_files))
    if recorded_sha256:
        _check_recorded_sha256(source_dir, tree.files, tree.root, recorded_sha256)
    if not tree.files:
        raise SourceFileError(f"no source files under {source_dir}")
    files = [_file_entry(source_dir, name, sha) for name, sha in sorted(tree.files.items())]
    return files, files[0]["sha256"] if len(files) == 1 else tree.root


def matching_files(source_dir: str, pattern: str) -> list[str]:
    """Names (relative to source_dir) of the regular files `pattern` matches, sorted."""
    paths = glob.glob(os.path.join(glob.escape(source_dir), pattern))
    return sorted(os.path.relpath(p, source_dir) for p in paths if os.path.isfile(p))


def recorded_properties(source_dir: str, pattern: str | None = None) -> dict[str, str]:
    """RawData Importer properties to record at run start: {"sha256", "files": JSON}.

    Only files matching `pattern` (ExampleGen's file pattern) are recorded: what the run reads.
    `sha256` is what `source_sha256` will be: the file's own digest when the run reads one file
    (so it can be compared with `sha256sum data.csv`), else the root digest.
    """
    names = matching_files(source_dir, pattern) if pattern else None
    if names == []:
        raise SourceFileError(f"no source file matches {os.path.join(source_dir, pattern)}")
    files, source_sha256 = source_files(source_dir, names=names)
    recorded = [{key: entry[key] for key in ("name", "size", "sha256")} for entry in files]
    return {"sha256": source_sha256, "files": json.dumps(recorded, sort_keys=True)}


def _file_entry(source_dir: str, name: str, sha256: str) -> dict:
    path = os.path.join(source_dir, name)
    return {"name": name, "uri": path, "size": os.path.getsize(path), "sha256": sha256}


def scan_records(path: str, canonical=None) -> tuple[int, int]:
    """(record count, sum of the records' SHA-256 values mod 2**256) of a TFRecord file.

    The sum is an order-independent digest of the records' content: ExampleGen's output files
    differ from run to run in compression and order, and a proto's map fields serialize in no
    fixed order, so `canonical` (bytes -> bytes) can re-encode each record deterministically.
    """
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    count, total = 0, 0
    with (gzip.open(path, "rb") if compressed else open(path, "rb")) as handle:
        while header := handle.read(_TFRECORD_HEADER):
            if len(header) < _TFRECORD_HEADER:
                raise ValueError(f"truncated TFRecord header in {path}")
            (length,) = struct.unpack("<Q", header[:8])
            body = handle.read(length + _TFRECORD_FOOTER)
            if len(body) < length + _TFRECORD_FOOTER:
                raise ValueError(f"truncated TFRecord in {path}")
            record = canonical(body[:length]) if canonical else body[:length]
            total = (total + int.from_bytes(hashlib.sha256(record).digest(), "big")) % _MOD
            count += 1
    return count, total


def count_records(path: str) -> int:
    """Number of records in a TFRecord file (gzipped or not), streamed record by record."""
    return scan_records(path)[0]


def split_summary(examples_uri: str, split_dirs: dict[str, str], canonical=None) -> dict:
    """Record counts, file digests and record-content digests per split, plus the root digest.

    A split digest equals pipeline.digest.tree_digest(split_dir).root, so it can be re-verified;
    a record digest depends only on the records, whatever files hold them.
    """
    tree = tree_digest(examples_uri)
    counts, digests, records = {}, {}, {}
    for split, split_dir in sorted(split_dirs.items()):
        prefix = os.path.relpath(split_dir, examples_uri) + os.sep
        files = {rel[len(prefix):]: sha for rel, sha in tree.files.items()
                 if rel.startswith(prefix)}
        if not files:
            raise ValueError(f"split {split!r} has no files under {split_dir}")
        digests[split] = root_digest(files)
        scans = [scan_records(os.path.join(split_dir, rel), canonical) for rel in sorted(files)]
        counts[split] = sum(count for count, _ in scans)
        records[split] = f"{sum(total for _, total in scans) % _MOD:064x}"
    return {"split_counts": counts, "split_digests": digests, "split_record_digests": records,
            "examples_root_digest": tree.root}


def _feature_name(feature) -> str:
    return ".".join(feature.path.step) if feature.path.step else feature.name


def missing_counts(stats_by_split: dict) -> dict[str, int]:
    """Per-feature num_missing summed over every split's DatasetFeatureStatisticsList."""
    totals: dict[str, int] = {}
    for stats_list in stats_by_split.values():
        for dataset in stats_list.datasets:
            for feature in dataset.features:
                kind = feature.WhichOneof("stats")
                missing = getattr(feature, kind).common_stats.num_missing if kind else 0
                name = _feature_name(feature)
                totals[name] = totals.get(name, 0) + int(missing)
    return dict(sorted(totals.items()))


def anomaly_names(anomalies_by_split: dict) -> list[str]:
    """Sorted names of features with an anomaly in any split's Anomalies proto."""
    names = set()
    for anomalies in anomalies_by_split.values():
        names.update(anomalies.anomaly_info.keys())
        if anomalies.HasField("dataset_anomaly_info"):
            names.add(DATASET_ANOMALY)
    return sorted(names)


def dataset_version_id(source: list[dict], split_digests: dict, schema_digest: str) -> str:
    """"dsv-" + 16 hex chars of SHA-256 over source file, split and schema digests.

    Content only: the source files' digests (not their names or directory), the splits' record
    digests (not their file digests), and the canonical schema digest (canonical_schema_digest).
    """
    digest = hashlib.sha256()
    for sha256 in sorted(entry["sha256"] for entry in source):
        digest.update(f"source\0{sha256}\n".encode())
    for split in sorted(split_digests):
        digest.update(f"split\0{split}\0{split_digests[split]}\n".encode())
    digest.update(f"schema\0{schema_digest}\n".encode())
    return "dsv-" + digest.hexdigest()[:16]


def canonical_schema_digest(schema_path: str) -> str:
    """SHA-256 of a SchemaGen schema with its features and domains in name order.

    SchemaGen lists features in the order its statistics met them, which differs between the
    in-memory and the multi-processing DirectRunner (and distributed runners); the schema's
    meaning does not depend on that order, so neither does the dataset version id.
    """
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    with open(schema_path, encoding="utf-8") as handle:
        schema = text_format.Parse(handle.read(), schema_pb2.Schema())
    for repeated in (schema.feature, schema.sparse_feature, schema.weighted_feature,
                     schema.string_domain):
        ordered = sorted(repeated, key=lambda item: item.name)
        del repeated[:]
        repeated.extend(ordered)
    for domain in schema.string_domain:
        values = sorted(domain.value)
        del domain.value[:]
        domain.value.extend(values)
    return hashlib.sha256(schema.SerializeToString(deterministic=True)).hexdigest()
