"""Streaming SHA-256 digests of files and directory trees (constant memory, no TensorFlow)."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

CHUNK_BYTES = 4 * 1024 * 1024


def sha256_file(path: str, chunk_bytes: int = CHUNK_BYTES) -> str:
    """Hex SHA-256 of a file's content, read in fixed-size chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class TreeDigest:
    """A directory's per-file digests (relative path -> sha256) and one root digest over them."""

    root: str
    files: dict[str, str]
    total_bytes: int


def _relative_files(root: str) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


def root_digest(files: dict[str, str]) -> str:
    """SHA-256 over the sorted `relative_path\\0sha256\\n` lines: stable across machines."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(f"{rel}\0{files[rel]}\n".encode())
    return digest.hexdigest()


def tree_digest(root: str, exclude: tuple[str, ...] = ()) -> TreeDigest:
    """Digest every file below `root` except relative paths listed in `exclude`."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"not a directory: {root}")
    files, total = {}, 0
    for rel in _relative_files(root):
        if rel in exclude:
            continue
        path = os.path.join(root, rel)
        files[rel] = sha256_file(path)
        total += os.path.getsize(path)
    return TreeDigest(root=root_digest(files), files=files, total_bytes=total)


# Files added to a SavedModel after evaluation (warm-up requests by the infra validator, the run
# manifest, the push's signature over all of them: pipeline/signing/models.py) do not change
# what the model computes, so they are outside its digest.
MODEL_DIGEST_EXCLUDES = ("manifest.json", "assets.extra/tf_serving_warmup_requests", "model.sig")


def model_digest(saved_model_dir: str) -> str:
    """Root digest of a SavedModel directory, ignoring the files listed in MODEL_DIGEST_EXCLUDES."""
    return tree_digest(saved_model_dir, exclude=MODEL_DIGEST_EXCLUDES).root
