"""Checkpoints: a verified head of the governance log kept outside the store.

A checkpoint names the last record verified (seq and hash) and each model's last record then.
`ledger verify --checkpoint FILE` checks only what was appended since; a chain rewritten or cut
below the checkpoint no longer reaches its hash. The file is canonical JSON so it can be signed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from .errors import RegistryError

FORMAT = "tfx-ledger-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """The log as verified: its last record and every model's last record (by seq)."""

    seq: int
    record_hash: str
    heads: dict[str, int] = field(default_factory=dict)
    created_at: str = ""

    def canonical(self) -> bytes:
        """The bytes a signature covers: sorted keys, no whitespace."""
        body = dict(asdict(self), format=FORMAT)
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def write(path: str, checkpoint: Checkpoint) -> str:
    """Write atomically (a crash never leaves half a checkpoint); returns the path."""
    staging = f"{path}.tmp"
    with open(staging, "wb") as handle:
        handle.write(checkpoint.canonical() + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, path)
    return path


def read(path: str) -> Checkpoint:
    """A checkpoint file, or one RegistryError naming the file and what is wrong with it."""
    try:
        with open(path, encoding="utf-8") as handle:
            body = json.load(handle)
    except OSError as exc:
        raise RegistryError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise RegistryError(f"checkpoint {path} is not JSON: {exc}") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise RegistryError(f"checkpoint {path}: format is not {FORMAT}")
    try:
        heads = {str(k): int(v) for k, v in dict(body["heads"]).items()}
        return Checkpoint(int(body["seq"]), str(body["record_hash"]), heads,
                          str(body.get("created_at", "")))
    except (KeyError, TypeError, ValueError) as exc:
        raise RegistryError(f"checkpoint {path}: missing or malformed field {exc}") from None
