"""TF Serving directory layout: atomic version install, push manifests, re-verification, config."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid

from pipeline import digest
from pipeline.signing import models as model_signatures

from .errors import DigestMismatchError, RegistryError

MANIFEST = "manifest.json"
# Written after the manifest and covering it: neither the manifest nor the model digest lists it.
SIGNATURE = model_signatures.SIGNATURE_FILE
UNLISTED = (MANIFEST, SIGNATURE)
TMP_PREFIX = ".tmp-"
# Test hook: seconds to sleep between copying and the rename, so a test can SIGKILL a push there.
PAUSE_ENV = "LEDGER_PUSH_PAUSE_BEFORE_RENAME_S"


def build_manifest(directory: str, model_name: str, version: int, model_digest: str) -> dict:
    """sha256 and size of every file under `directory` except the manifest itself."""
    tree = digest.tree_digest(directory, exclude=UNLISTED)
    files = {
        rel: {"sha256": sha, "size": os.path.getsize(os.path.join(directory, rel))}
        for rel, sha in tree.files.items()
    }
    return {
        "model_name": model_name,
        "version": version,
        "model_digest": model_digest,
        "files": files,
    }


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode("utf-8")


def _fsync_tree(root: str) -> None:
    """Flush file contents and directory entries so a crash after the rename leaves whole files."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(dirpath)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_leftovers(model_dir: str) -> None:
    """Staging directories of pushes that were killed before their rename."""
    for name in os.listdir(model_dir):
        if name.startswith(TMP_PREFIX):
            shutil.rmtree(os.path.join(model_dir, name), ignore_errors=True)


def _stage_copy(
    source: str, model_dir: str, model_name: str, version: int, model_digest: str,
    model_key,
) -> str:
    staging = os.path.join(model_dir, f"{TMP_PREFIX}{uuid.uuid4().hex}")
    shutil.copytree(source, staging)
    stale = os.path.join(staging, SIGNATURE)
    if os.path.exists(stale):  # copied from the source: it signed other files (or none)
        os.remove(stale)
    manifest = build_manifest(staging, model_name, version, model_digest)
    run_manifest = os.path.join(staging, MANIFEST)
    if os.path.exists(run_manifest):  # the trainer's run manifest: keep it inside ours
        with open(run_manifest, encoding="utf-8") as handle:
            manifest["run_manifest"] = json.load(handle)
    with open(run_manifest, "wb") as handle:
        handle.write(manifest_bytes(manifest))
    if model_key:  # signed before the rename, so a version directory never lacks its signature
        model_signatures.sign_model(staging, model_key)
    _fsync_tree(staging)
    return staging



def install(
    source: str, serving_root: str, model_name: str, version: int, model_digest: str,
    model_key=None,
) -> tuple[str, str, bool]:
    """Copy `source` to serving_root/model/version atomically -> (path, manifest sha, adopted);
    with `model_key` (a P-256 SigningKey) the copy is signed before it is renamed into place."""
    model_dir = os.path.join(serving_root, model_name)
    destination = os.path.join(model_dir, str(version))
    os.makedirs(model_dir, exist_ok=True)
    if os.path.exists(destination):
        return destination, adopt(destination, model_name, version, model_digest), True
    _remove_leftovers(model_dir)
    staging = _stage_copy(source, model_dir, model_name, version, model_digest, model_key)
    time.sleep(float(os.environ.get(PAUSE_ENV, "0") or 0))
    try:
        os.rename(staging, destination)
    except OSError:  # another push renamed first: keep theirs if it is the same version
        shutil.rmtree(staging, ignore_errors=True)
        return destination, adopt(destination, model_name, version, model_digest), True
    _fsync_dir(model_dir)
    return destination, verify(destination, model_name, version, model_digest)[0], False


def adopt(destination: str, model_name: str, version: int, model_digest: str) -> str:
    """Accept an existing version directory only if it verifies as this very version."""
    try:
        return verify(destination, model_name, version, model_digest)[0]
    except DigestMismatchError as exc:
        raise RegistryError(
            f"refusing to push {model_name}@{version}: {destination} already exists "
            f"with other content ({exc})"
        ) from exc


def verify(
    directory: str,
    model_name: str,
    version: int,
    model_digest: str,
    manifest_sha256: str | None = None,
) -> tuple[str, int]:
    """Re-check every file against manifest.json; returns (manifest sha256, files checked)."""
    path = os.path.join(directory, MANIFEST)
    if not os.path.isfile(path):
        raise DigestMismatchError(f"{path} is missing: cannot verify {model_name}@{version}")
    with open(path, "rb") as handle:
        raw = handle.read()
    sha = hashlib.sha256(raw).hexdigest()
    if manifest_sha256 and sha != manifest_sha256:
        raise DigestMismatchError(f"{path} changed since {model_name}@{version} was pushed")
    manifest = json.loads(raw)
    expected = {"model_name": model_name, "version": version, "model_digest": model_digest}
    for key, value in expected.items():
        if manifest.get(key) != value:
            raise DigestMismatchError(f"{path}: {key} is {manifest.get(key)!r}, expected {value!r}")
    _check_files(directory, manifest["files"])
    _check_root(directory, manifest["files"], model_digest)
    return sha, len(manifest["files"])


def _check_files(directory: str, files: dict) -> None:
    actual = digest.tree_digest(directory, exclude=UNLISTED).files
    for rel in sorted(set(files) | set(actual)):
        where = os.path.join(directory, rel)
        if rel not in actual:
            raise DigestMismatchError(f"{where} is missing (listed in {MANIFEST})")
        if rel not in files:
            raise DigestMismatchError(f"{where} is not listed in {MANIFEST} (extra file)")
        if actual[rel] != files[rel]["sha256"] or os.path.getsize(where) != files[rel]["size"]:
            raise DigestMismatchError(
                f"{where} changed: sha256 {actual[rel]} differs from "
                f"{files[rel]['sha256']} in {MANIFEST}"
            )


def _check_root(directory: str, files: dict, model_digest: str) -> None:
    # A manifest edited together with a file still has to reproduce the registered model digest.
    model_files = {
        rel: entry["sha256"]
        for rel, entry in files.items()
        if rel not in digest.MODEL_DIGEST_EXCLUDES
    }
    if digest.root_digest(model_files) != model_digest:
        raise DigestMismatchError(
            f"{directory}: files do not reproduce model digest {model_digest}"
        )


def verify_signature(directory: str, trusted, when=None) -> model_signatures.ModelSignature:
    """The version's model.sig checked against the allowed signers and every file; a failure is
    a DigestMismatchError naming the signature or the files."""
    try:
        return model_signatures.verify_model(directory, trusted, when)
    except model_signatures.ModelSignatureError as exc:
        raise DigestMismatchError(str(exc)) from None


def write_models_config(serving_root: str, production: dict[str, int]) -> str:
    """TF Serving model config pinning each model to its production version; atomic replace."""
    entries = "".join(
        f'  config {{\n    name: "{name}"\n'
        f'    base_path: "{os.path.join(os.path.abspath(serving_root), name)}"\n'
        f'    model_platform: "tensorflow"\n'
        f"    model_version_policy {{ specific {{ versions: {version} }} }}\n  }}\n"
        for name, version in sorted(production.items())
    )
    path = os.path.join(serving_root, "models.config")
    staging = f"{path}.{uuid.uuid4().hex}.tmp"
    with open(staging, "w", encoding="utf-8") as handle:
        handle.write(f"model_config_list {{\n{entries}}}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)
    return path
