"""Small dataclasses the registry returns instead of MLMD protos."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Transition:
    """One governance-log record: a version moving from one stage to another."""

    seq: int
    model_name: str
    version: int
    from_stage: str
    to_stage: str
    actor: str
    reason: str
    decided_at: str
    model_digest: str
    prev_hash: str
    record_hash: str
    hmac: str
    execution_id: int = 0
    model_head: str = ""
    signer: str = ""  # identity whose key signed record_hash ("" in stores written before)
    key_fingerprint: str = ""
    signature: str = ""


@dataclass(frozen=True)
class VersionInfo:
    """A registered model version with its current stage and the facts the registry keeps on it."""

    model_name: str
    version: int
    stage: str
    model_artifact_id: int
    model_uri: str
    model_digest: str
    dataset_version_id: str = ""
    pipeline_run: str = ""
    created_at: str = ""
    push_source_uri: str = ""
    launched_by: str = ""
    approval_policy: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    approved_by: str = ""
    approved_at: str = ""
    deployed_at: str = ""
    pushed_destination: str = ""
    manifest_sha256: str = ""
    artifact_id: int = 0
    model_signer: str = ""  # key id of the model signature made at push ("" = pushed unsigned)
    serving_root: str = ""  # where the version is pushed, recorded when it was registered

    @property
    def identifier(self) -> str:
        return f"{self.model_name}@{self.version}"


@dataclass(frozen=True)
class ModelSummary:
    """One registered model: how many versions, the latest, and which one is in production."""

    name: str
    version_count: int
    latest_version: int
    latest_stage: str
    production_version: int | None


@dataclass(frozen=True)
class PushResult:
    """Where a version was pushed, its manifest digest, the PushedModel artifact and the record."""

    model_name: str
    version: int
    destination: str
    manifest_sha256: str
    pushed_model_id: int
    transition: Transition
    adopted: bool = False


@dataclass(frozen=True)
class RollbackResult:
    """The version taken out of production, the one put back, and the two records written."""

    model_name: str
    from_version: int
    to_version: int
    transitions: list[Transition]


@dataclass(frozen=True)
class LoadedVersion:
    """A resolved version whose pushed directory was re-verified file by file."""

    version: VersionInfo
    path: str
    manifest_sha256: str
    files_checked: int
    signed_by: str = ""  # key id of the verified model signature ("" = not checked or unsigned)


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of re-checking the governance log: hashes, links, seq, anchor, signatures.

    `ok` means no inconsistency was found; only `status == "verified"` means every record is
    proven by a signature of an allowed signer. Legacy records (unsigned or HMAC, written
    before signatures) are intact at best, never proven.
    """

    ok: bool
    records_checked: int
    problems: list[str]
    signed: bool = False
    since_seq: int = 0  # incremental: records after this checkpoint seq were checked
    verified: int = 0
    legacy_hmac: int = 0
    legacy_unsigned: int = 0
    checkpoint: str = ""

    @property
    def status(self) -> str:
        if not self.ok:
            return "failed"
        return "legacy" if self.legacy_hmac or self.legacy_unsigned else "verified"
