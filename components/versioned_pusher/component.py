"""VersionedPusher: pushes approved models under the integer version the registry allocated.

In: model, the ModelApproval blessing (its `version` names the registry version), optionally the
InfraBlessing (whose warmed-up copy is pushed when present). Out: PushedModel with the version,
destination, digests and approval record. Nothing is pushed unless the blessing is positive; the
copy goes through a temporary directory and an atomic rename, and its digest must equal the
approved one; with `model_signing_key` the copy is signed (model-signing, every file) before
the rename. Example:
    VersionedPusher(model=trainer.outputs["model"], model_blessing=approval.outputs["blessing"],
                    serving_root="/srv/models", metadata_connection='{"sqlite": "..."}')
"""
from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from components.versioned_pusher import executor


class VersionedPusherSpec(ComponentSpec):
    """Inputs, outputs and parameters of VersionedPusher."""

    PARAMETERS = {
        "serving_root": ExecutionParameter(type=str),
        "metadata_connection": ExecutionParameter(type=str),
        "signing_key_env": ExecutionParameter(type=str, optional=True),
        # A path, never the key: where the P-256 PEM key that signs the pushed files is mounted.
        "model_signing_key": ExecutionParameter(type=str, optional=True),
        # pipeline/settings.py as JSON (paths only, no secret): the service key signs records.
        "settings": ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "model_blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
        "infra_blessing": ChannelParameter(type=standard_artifacts.InfraBlessing, optional=True),
    }
    OUTPUTS = {"pushed_model": ChannelParameter(type=standard_artifacts.PushedModel)}


class VersionedPusher(base_component.BaseComponent):
    """Deploys approved model versions; a blessing that is not positive pushes nothing."""

    SPEC_CLASS = VersionedPusherSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, model, model_blessing, serving_root: str, metadata_connection: str,
                 infra_blessing=None, signing_key_env: str = "", model_signing_key: str = "",
                 settings: str | None = None):
        super().__init__(spec=VersionedPusherSpec(
            model=model, model_blessing=model_blessing, infra_blessing=infra_blessing,
            serving_root=serving_root, metadata_connection=metadata_connection,
            signing_key_env=signing_key_env, model_signing_key=model_signing_key,
            settings=settings, pushed_model=types.Channel(type=standard_artifacts.PushedModel)))
