"""Reuse of an unchanged run: `ledger run` skips the pipeline when no input changed (no tfx)."""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass

from ml_metadata import errors
from ml_metadata.metadata_store.metadata_store import ListOptions, OrderByField
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import provenance
from pipeline.config import DatasetConfig
from pipeline.digest import root_digest, sha256_file
from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import PROJECT_ROOT
from pipeline.registry.log import retry_transient

RUN_KEY_TYPE = "LedgerRunKey"
# Everything whose source decides what a run produces (the CLI and read-only commands do not).
CODE_ROOTS = ("components", "models", "pipeline", "ledger_types.py", "setup.py")
_PROPERTIES = {"run_key": pb.STRING, "parts": pb.STRING, "store_mark": pb.STRING,
               "summary": pb.STRING, "recorded_at": pb.STRING}


@dataclass(frozen=True)
class RunKey:
    """Digest of every input of a run, and the digest of each part (to say what changed)."""

    digest: str
    parts: dict


@dataclass(frozen=True)
class Reusable:
    """A recorded successful run with the same key and an unchanged store, or why not."""

    summary: dict | None
    recorded_at: str = ""
    reason: str = ""


def code_digest(root: str = PROJECT_ROOT) -> str:
    """Root digest (pipeline/digest.py) over every Python source the pipeline runs."""
    files = {}
    for entry in CODE_ROOTS:
        top = os.path.join(root, entry)
        paths = [top] if os.path.isfile(top) else [
            os.path.join(parent, name) for parent, _, names in os.walk(top)
            for name in names if name.endswith(".py") and "__pycache__" not in parent]
        files.update({os.path.relpath(path, root): sha256_file(path) for path in paths})
    return root_digest(files)


def _sha(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def run_key(dataset: DatasetConfig, source_properties: dict, options: dict) -> RunKey:
    """Key over data digests, dataset config, code, git revision, libraries and run options."""
    parts = {
        "data": _sha(source_properties),
        "dataset_config": _sha(asdict(dataset)),
        "code": code_digest(),
        "revision": _sha(provenance.code_revision().as_dict()),
        "libraries": _sha(provenance.library_versions()),
        "options": _sha(options),
    }
    return RunKey(_sha(parts), parts)


def store_mark(store) -> str:
    """The newest artifact and execution, by id and by update time.

    Any write after a run (an approval, a rollback, another pipeline's run, a capture) moves
    the mark, so the run is not reused: conservative, since only some writes would change it.
    """
    newest = []
    for listing in (store.get_artifacts, store.get_executions):
        for order in (OrderByField.ID, OrderByField.UPDATE_TIME):
            found = listing(list_options=ListOptions(limit=1, order_by=order, is_asc=False))
            newest.append(f"{found[0].id}@{found[0].last_update_time_since_epoch}"
                          if found else "-")
    return "/".join(newest)


def _recorded(store, pipeline_name: str):
    try:
        return store.get_context_by_type_and_name(RUN_KEY_TYPE, pipeline_name)
    except errors.NotFoundError:  # The type itself is not registered yet.
        return None


def reusable(metadata_path: str, pipeline_name: str, key: RunKey) -> Reusable:
    """The summary of the last successful run when it can stand for this one, else why not."""
    if not os.path.exists(metadata_path):
        return Reusable(None, reason="no MLMD store yet")
    store = open_store(sqlite_spec(metadata_path))
    recorded = _recorded(store, pipeline_name)
    if recorded is None:
        return Reusable(None, reason="no completed run recorded for this pipeline")
    props = {name: recorded.properties[name].string_value for name in _PROPERTIES}
    if props["run_key"] != key.digest:
        before = json.loads(props["parts"] or "{}")
        changed = sorted(name for name, value in key.parts.items() if before.get(name) != value)
        return Reusable(None, reason=f"changed since the last run: {', '.join(changed)}")
    if props["store_mark"] != store_mark(store):
        return Reusable(None, reason="the MLMD store changed since the last run")
    summary = json.loads(props["summary"])
    pushed = summary.get("pushed_model")
    if pushed and "://" not in pushed and not os.path.isdir(pushed):
        return Reusable(None, reason=f"the pushed model {pushed} is missing")
    return Reusable(summary, recorded_at=props["recorded_at"])


def remember(metadata_path: str, pipeline_name: str, key: RunKey, summary: dict) -> None:
    """Record a completed run's key, summary and the store mark right after it."""
    store = open_store(sqlite_spec(metadata_path))
    context_type = pb.ContextType(name=RUN_KEY_TYPE)
    for name, kind in _PROPERTIES.items():
        context_type.properties[name] = kind

    def write() -> None:
        type_id = store.put_context_type(context_type, can_add_fields=True)
        context = _recorded(store, pipeline_name) or pb.Context(type_id=type_id,
                                                                name=pipeline_name)
        values = {"run_key": key.digest, "parts": json.dumps(key.parts, sort_keys=True),
                  "store_mark": store_mark(store), "summary": json.dumps(summary, sort_keys=True),
                  "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        for name, value in values.items():
            context.properties[name].string_value = value
        store.put_contexts([context])

    try:
        retry_transient(write)
    except errors.AlreadyExistsError:  # A concurrent run created the record first: update it.
        retry_transient(write)
