"""Read-only registry queries: models, versions, aliases, history, verified loading, verify."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pipeline import metadata

from . import aliases, chain, heads, listing, log, queries, schema
from .errors import GovernanceLogError, StoreMissingError, UnknownModelError
from .records import LoadedVersion, ModelSummary, Transition, VerifyReport, VersionInfo
from .trust import RecordStatus, Trust, record_status

if TYPE_CHECKING:
    from pipeline.signing.allowed_signers import AllowedSigners

    from . import pushed
    from .checkpoint import Checkpoint

# Loading, pushing, verifying and checkpointing modules are imported where they are used: a
# read such as `ledger trace MODEL@production` pays only for what resolves and reads versions.


class RegistryReader:
    """Everything the registry answers without writing to the MLMD store."""

    def __init__(self, store, *, signing_key_env: str | None = None, signer=None,
                 allowed: AllowedSigners | None = None, hmac_key: bytes | None = None,
                 model_keys=None):
        """`signer` signs what this registry writes (None: unsigned, as before signatures);
        `allowed` are the allowed signers records are checked against; `hmac_key` (or the
        variable `signing_key_env` names) checks the HMACs of stores written before."""
        if signer is not None and allowed is None:
            raise ValueError("a registry that signs needs the allowed signers to check against")
        self.store = store
        self.signing_key_env = signing_key_env
        self.signer = signer
        self.allowed = allowed
        self._hmac_key = hmac_key
        # pipeline.signing.models.ModelKeys: what pushes sign with, what loads trust (None: the
        # registry neither signs nor checks model signatures, as before signing existed).
        self.model_keys = model_keys
        self._type_ids: dict[str, int] | None = None

    @classmethod
    def open(cls, spec: str | dict, *, must_exist: bool = True, signing_key_env=None, **trust):
        """A registry on the MLMD store named by `spec` (see pipeline/metadata.py)."""
        try:
            store = metadata.open_store(spec, must_exist=must_exist)
        except metadata.StoreNotFoundError as exc:
            raise StoreMissingError(str(exc)) from exc
        return cls(store, signing_key_env=signing_key_env, **trust)

    @classmethod
    def from_settings(cls, settings, *, signer=None, must_exist: bool = True, model_keys=None):
        """A registry on the settings' store, checking against their allowed signers."""
        from pipeline.signing.allowed_signers import AllowedSigners

        path = settings.allowed_signers_path
        explicit = not settings.uses_home_allowed_signers
        allowed = AllowedSigners.load(path) if explicit else AllowedSigners.load_or_empty(path)
        return cls.open(settings.metadata_spec, must_exist=must_exist, signer=signer,
                        allowed=allowed, hmac_key=settings.hmac_key, model_keys=model_keys)

    @property
    def _key(self) -> bytes | None:
        return self._hmac_key or chain.signing_key(self.signing_key_env)

    @property
    def trust(self) -> Trust:
        return Trust(allowed=self.allowed, hmac_key=self._key)

    def record_status(self, record: Transition) -> RecordStatus:
        """Whether `record` is proven (signed by an allowed signer), legacy, or failed."""
        return record_status(record, self.trust)

    def load_path(self, identifier: str) -> LoadedVersion:
        """Resolve `identifier` and re-verify every file of its pushed directory."""
        from . import deploy

        return deploy.load_path(self, identifier)

    def models(self) -> list[ModelSummary]:
        """Every registered model with its version count, latest version and production version."""
        if heads.enabled(log.read_anchor(self.store)):
            return [
                ModelSummary(
                    name=h.model_name,
                    version_count=h.latest,  # versions are gapless from 1
                    latest_version=h.latest,
                    latest_stage=self.version(h.model_name, h.latest).stage,
                    production_version=h.production or None,
                )
                for h in heads.read_all(self.store)
            ]
        names = sorted(
            {schema.prop(a, "model_name") for a in queries.version_artifacts(self.store)}
        )
        return [
            queries.summary(name, self.versions(name), queries.transitions(self.store, name))
            for name in names
        ]

    def versions(self, model_name) -> list[VersionInfo]:
        """Every version of `model_name`, oldest first."""
        found = (
            queries.model_versions(self.store, model_name)
            if schema.valid_model_name(model_name)
            else []
        )
        if not found:
            raise UnknownModelError(f"no model named {model_name!r} is registered")
        return found

    def versions_page(self, model_name, limit: int = 20, before: int | None = None
                      ) -> list[VersionInfo]:
        """Up to `limit` versions older than `before` (default: the newest), newest first."""
        found = listing.versions_page(self.store, model_name, limit, before)
        if not found and before is None:
            raise UnknownModelError(f"no model named {model_name!r} is registered")
        return found

    def version(self, model_name, version) -> VersionInfo:
        """One version with its current stage."""
        return aliases.version(self, model_name, version)

    def production(self, model_name) -> VersionInfo | None:
        """The deployed version most recently moved to deployed, or None."""
        return aliases.production(self, model_name)

    def resolve(self, identifier: str) -> VersionInfo:
        """'m@3', 'm@production', 'm@latest-approved' or 'm@latest' -> the version it names."""
        return aliases.resolve(self, identifier)

    def history(self, model_name, version=None) -> list[Transition]:
        """The model's (or one version's) transitions in log order."""
        if version is None:
            self.versions(model_name)
            return queries.transitions(self.store, model_name)
        info = self.version(model_name, version)
        artifact = self.store.get_artifacts_by_id([info.artifact_id])
        return queries.version_records(self.store, artifact)[info.artifact_id]

    def verify_pushed(self) -> list[pushed.PushedCheck]:
        """Every pushed version's files (manifest, digests) and model signature, re-checked."""
        from . import pushed

        return pushed.check_pushed(self)

    def verify(self, checkpoint: Checkpoint | None = None, full: bool = False) -> VerifyReport:
        """Recompute every hash, link, seq, the anchor, the heads and (with a key) every HMAC;
        with a checkpoint, only what was appended since, unless `full`."""
        from . import incremental

        if checkpoint is None:
            return log.verify(self.store, self.trust)
        # Without allowed signers nothing here can come out "verified": signed records fail and
        # unsigned ones are legacy, so the checkpoint's signature is checked whenever it could
        # make a difference.
        untrusted = (checkpoint.signature_problems(self.allowed, f"at seq {checkpoint.seq}")
                     if self.allowed is not None else [])
        if untrusted:
            return VerifyReport(ok=False, records_checked=0, problems=untrusted,
                                since_seq=checkpoint.seq)
        if not full:
            return incremental.verify_since(self.store, checkpoint, self.trust)
        report = log.verify(self.store, self.trust)
        _, problems = incremental._start(self.store, checkpoint)
        return replace(report, ok=report.ok and not problems,
                       problems=problems + report.problems)

    def checkpoint(self, since: Checkpoint | None = None) -> Checkpoint:
        """The current head of the log as a checkpoint, once it verifies (incrementally from
        `since` when given); GovernanceLogError lists the problems otherwise."""
        from . import checkpoint

        head = checkpoint.current(self.store, log.utc_now())
        report = self.verify(since)
        if not report.ok:
            raise GovernanceLogError("not checkpointing a log that fails verification:\n  "
                                     + "\n  ".join(report.problems))
        return head
