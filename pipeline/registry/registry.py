"""The model registry: versions, the stage machine and the governance log on ML Metadata."""

from __future__ import annotations

import json

from . import allocation, deploy, log, policy, queries, schema, signing, stages
from .errors import DigestMismatchError, IllegalTransitionError
from .log import PendingRecord
from .reader import RegistryReader
from .records import PushResult, RollbackResult, Transition, VersionInfo
from .rollback import rollback as _rollback

# Deployment and rollback move files and the serving config, so the generic move refuses them.
_DEDICATED = {stages.DEPLOYED: "push() or rollback()", stages.ROLLED_BACK: "rollback()"}


class Registry(RegistryReader):
    """Model versions and their governance log in one MLMD store: reads plus checked writes."""

    def _types(self) -> dict[str, int]:
        # Registered lazily so read-only commands never write to the store.
        if self._type_ids is None:
            self._type_ids = schema.ensure_types(self.store)
        return self._type_ids

    def _append(self, plan) -> tuple[list[Transition], list[int]]:
        """Append plan()'s records signed by this registry's signer, refused before any write
        when the signer is not allowed now or a record names a principal it cannot sign for."""
        signing.check_signer(self)

        def checked():
            pending = plan()
            for record in pending:
                signing.check_actor(self, record.fields["actor"])
            return pending

        return log.append(self.store, self._types(), checked, self._key, self.signer)

    def register_version(
        self,
        model_name,
        model_artifact_id,
        model_uri,
        model_digest,
        *,
        push_source_uri="",
        dataset_version_id="",
        pipeline_run="",
        approval_policy: dict | None = None,
        launched_by="",
        actor="pipeline",
        metrics: dict | None = None,
        serving_root="",
    ) -> VersionInfo:
        """Allocate the next version of `model_name` as candidate (idempotent per artifact)."""
        return allocation.register(
            self,
            model_name,
            model_artifact_id,
            model_uri,
            model_digest,
            provenance={
                "dataset_version_id": dataset_version_id,
                "pipeline_run": pipeline_run,
            },
            custom={
                "push_source_uri": push_source_uri,
                "launched_by": launched_by,
                "approval_policy": json.dumps(approval_policy or {}, sort_keys=True),
                "metrics": json.dumps(metrics or {}, sort_keys=True),
                "serving_root": serving_root,
            },
            actor=actor,
        )

    def move(
        self,
        model_name,
        version,
        to_stage,
        *,
        actor,
        reason,
        model_digest=None,
        new_outputs=None,
        version_facts: dict | None = None,
    ) -> tuple[Transition, list[int]]:
        """Append one transition, checked against the stage read inside the append's retry loop.

        `version_facts` are custom properties set on the ModelVersion in the same transaction.
        """

        def plan():
            info = self.version(model_name, version)
            stages.check(info.identifier, info.stage, to_stage)
            digest = model_digest or info.model_digest
            fields = log.record_fields(
                model_name, version, info.stage, to_stage, actor, reason, digest
            )
            updated = []
            if version_facts:
                [artifact] = queries.version_artifacts(self.store, model_name, int(version))
                schema.set_props(artifact.custom_properties, version_facts)
                updated.append(artifact)
            links = (info.model_artifact_id, info.artifact_id)
            return [PendingRecord(fields, links, list(new_outputs or []), updated)]

        written, artifact_ids = self._append(plan)
        return written[0], artifact_ids

    def transition(
        self, model_name, version, to_stage, *, actor, reason, model_digest=None
    ) -> Transition:
        """Move a version to `to_stage`; approved applies approve()'s policy, digest if given."""
        label = f"{model_name}@{version}"
        if to_stage in _DEDICATED:
            raise IllegalTransitionError(
                f"{label}: moving to {to_stage} goes through {_DEDICATED[to_stage]}"
            )
        policy.require(actor, "an actor")
        policy.require(reason, "a reason")
        info = self.version(model_name, version)
        if to_stage == stages.APPROVED:
            digest = model_digest or info.model_digest
            return self.approve(model_name, version, by=actor, reason=reason, current_digest=digest)
        if model_digest and model_digest != info.model_digest:
            raise DigestMismatchError(
                f"{label}: digest {model_digest} differs from the registered {info.model_digest}"
            )
        return self.move(model_name, version, to_stage, actor=actor, reason=reason)[0]

    def approve(self, model_name, version, *, by, reason, current_digest) -> Transition:
        """validated -> approved, if the stored approval policy allows `by` and the digest holds."""
        policy.require(by, "an approver (--by)")
        policy.require(reason, "a reason")
        info = self.version(model_name, version)
        policy.check_decider(info, by, approving=True)
        signing.check_own_decision(self, by, info)
        if current_digest != info.model_digest:
            raise DigestMismatchError(
                f"{info.identifier}: current digest {current_digest} differs "
                f"from the registered {info.model_digest}"
            )
        return self.move(
            model_name,
            version,
            stages.APPROVED,
            actor=by,
            reason=reason,
            model_digest=current_digest,
        )[0]

    def reject(self, model_name, version, *, by, reason) -> Transition:
        """candidate|validated -> rejected, by an allowed approver."""
        policy.require(by, "a decider (--by)")
        policy.require(reason, "a reason")
        info = self.version(model_name, version)
        policy.check_decider(info, by, approving=False)
        signing.check_own_decision(self, by, info)
        return self.move(model_name, version, stages.REJECTED, actor=by, reason=reason)[0]

    def deprecate(self, model_name, version, *, actor, reason="") -> Transition:
        """Any non-terminal stage -> deprecated; a pushed version's serving config is refreshed."""
        policy.require(actor, "an actor")
        signing.check_own_decision(self, actor, self.version(model_name, version))
        record = self.move(
            model_name, version, stages.DEPRECATED, actor=actor, reason=reason or "deprecated"
        )[0]
        deploy.refresh_config(self, model_name, version)
        return record

    def push(
        self,
        model_name,
        version,
        serving_root,
        *,
        actor,
        reason="",
        source_dir=None,
        record_artifact=True,
    ) -> PushResult:
        """Copy an approved version into the serving root atomically and record it deployed.

        record_artifact=False skips the registry's own PushedModel (a TFX component that
        publishes its own PushedModel output passes False).
        """
        return deploy.push(
            self,
            model_name,
            version,
            serving_root,
            actor=actor,
            reason=reason,
            source_dir=source_dir,
            record_artifact=record_artifact,
        )

    def rollback(self, model_name, *, to_version=None, actor, reason="") -> RollbackResult:
        """Take production out and redeploy `to_version` or the previously deployed version."""
        signing.check_own_decision(self, actor)
        return _rollback(self, model_name, to_version=to_version, actor=actor, reason=reason)
