"""The registry a pipeline component writes through: signed with the runner's service key."""

from __future__ import annotations

from pipeline.registry import Registry
from pipeline.settings import Settings

from .identity import service_signer


def settings_of(exec_properties: dict) -> Settings | None:
    """The runner's settings passed as the `settings` execution property (JSON), if any."""
    text = exec_properties.get("settings") or ""
    if not text:
        return None
    settings = Settings.from_json(text)
    return settings.with_store(metadata_spec=exec_properties["metadata_connection"])


def pipeline_registry(exec_properties: dict, *, must_exist: bool, model_keys=None) -> Registry:
    """With settings: records signed by the service key (created on first use) and checked
    against the allowed signers. Without (a spec compiled before settings): as before, unsigned
    or HMAC'd with the key the named environment variable holds."""
    settings = settings_of(exec_properties)
    if settings is None:
        return Registry.open(exec_properties["metadata_connection"], must_exist=must_exist,
                             signing_key_env=exec_properties.get("signing_key_env") or None,
                             model_keys=model_keys)
    return Registry.from_settings(settings, signer=service_signer(settings),
                                  must_exist=must_exist, model_keys=model_keys)
