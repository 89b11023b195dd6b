"""The one settings object: store, serving root, signing keys and allowed signers, resolved once.

The runner and the `ledger` click group call `resolve()` once and pass the result down; nothing
below them reads the environment for these.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace

from pipeline.paths import LedgerPaths, ledger_home

SERVICE_IDENTITY = "pipeline"
SERVICE_KEY_NAME = os.path.join("keys", "ledger_service_ed25519")
MODEL_KEY_NAME = os.path.join("keys", "ledger_models_ecdsa")
ALLOWED_SIGNERS_NAME = "allowed_signers"
LEGACY_HMAC_ENV = "LEDGER_SIGNING_KEY"


@dataclass(frozen=True)
class Settings:
    """Where the store and the serving root are, and which keys sign and which are trusted.

    `key_path` is a person's private key for decisions (approve, reject, rollback, deprecate);
    the service key signs the pipeline's own records and is created in the home on first use.
    `hmac_key` only checks records of stores written before signatures (never serialised).
    """

    home: str
    metadata_spec: str
    serving_root: str
    service_key_path: str
    allowed_signers_path: str
    key_path: str = ""
    service_identity: str = SERVICE_IDENTITY
    service_key_managed: bool = False  # named explicitly: never created, must already exist
    # The ECDSA P-256 key pushes sign models with (model-signing takes no Ed25519 keys); created
    # in the home on first use unless named explicitly (pipeline/signing/models.py).
    model_key_path: str = ""
    model_key_managed: bool = False
    hmac_key: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def paths(self) -> LedgerPaths:
        return LedgerPaths(home=self.home)

    @property
    def uses_home_allowed_signers(self) -> bool:
        """The generated service key is added to the allowed signers only in this case."""
        return self.allowed_signers_path == os.path.join(self.home, ALLOWED_SIGNERS_NAME)

    def with_store(self, metadata_spec: str | None = None, serving_root: str | None = None):
        return replace(self, metadata_spec=metadata_spec or self.metadata_spec,
                       serving_root=serving_root or self.serving_root)

    def to_json(self) -> str:
        """Everything but the legacy HMAC secret, for a component's execution property."""
        values = asdict(self)
        values.pop("hmac_key")
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        return cls(**json.loads(text))


def resolve(
    *,
    home: str | None = None,
    metadata_spec: str | None = None,
    serving_root: str | None = None,
    key: str | None = None,
    allowed_signers: str | None = None,
    service_key: str | None = None,
    model_key: str | None = None,
    hmac_key_env: str | None = LEGACY_HMAC_ENV,
) -> Settings:
    """Settings from explicit values; unset ones default inside the ledger home.

    Home: `home`, else $LEDGER_HOME, else `.ledger/` in the checkout (pipeline/paths.py).
    """
    from pipeline.metadata import sqlite_spec

    layout = ledger_home(home)
    hmac_value = os.environ.get(hmac_key_env) if hmac_key_env else None

    def absolute(path: str | None) -> str:
        return os.path.abspath(os.path.expanduser(path)) if path else ""

    return Settings(
        home=layout.home,
        metadata_spec=metadata_spec or sqlite_spec(layout.metadata_path),
        serving_root=absolute(serving_root) or layout.serving_root,
        service_key_path=absolute(service_key) or os.path.join(layout.home, SERVICE_KEY_NAME),
        allowed_signers_path=absolute(allowed_signers)
        or os.path.join(layout.home, ALLOWED_SIGNERS_NAME),
        key_path=absolute(key),
        service_key_managed=bool(service_key),
        model_key_path=absolute(model_key) or os.path.join(layout.home, MODEL_KEY_NAME),
        model_key_managed=bool(model_key),
        hmac_key=hmac_value.encode("utf-8") if hmac_value else None,
    )
