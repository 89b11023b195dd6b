"""Who signs: the pipeline's service key (made on first use) or a person's own key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .allowed_signers import AllowedSigners, SignerNotAllowedError
from .keys import ED25519, KeyFileError, SigningKey, ensure_key, load_signing_key


@dataclass(frozen=True)
class Signer:
    """An identity and the private key it signs with."""

    identity: str
    key: SigningKey


def service_signer(settings) -> Signer:
    """The pipeline's signer: its key is created in the home on first use (mode 0600).

    A newly created key is listed in the home's allowed signers (when that is the file in use),
    so a plain first run writes records that verify. A managed key named by the settings is
    never created: it must exist and be listed by whoever manages it.
    """
    if settings.service_key_managed:
        key = load_signing_key(settings.service_key_path)
    else:
        key, _ = ensure_key(settings.service_key_path, kind=ED25519,
                            comment=f"{settings.service_identity} (tfx-ledger service key)")
    if settings.uses_home_allowed_signers:
        _list_in_home(settings.allowed_signers_path, settings.service_identity, key)
    return Signer(settings.service_identity, key)


def _list_in_home(path: str, identity: str, key: SigningKey) -> None:
    signers = AllowedSigners.load_or_empty(path)
    if not signers.listing(identity, key.fingerprint):
        signers.append(signers.entry_line(identity, key.public_key) + " tfx-ledger service key")


def person_signer(settings, identity: str | None, *, when: datetime | None = None) -> Signer:
    """A person's signer from the settings' key file, checked against the allowed signers now.

    `identity` None means the key's one principal in the allowed signers. A claimed identity
    whose key this is not, or whose window has ended, raises SignerNotAllowedError.
    """
    if not settings.key_path:
        who = identity or "a person"
        raise KeyFileError(f"a decision by {who} must be signed with their private key: "
                           "give --key FILE (e.g. ~/.ssh/id_ed25519) or set LEDGER_KEY")
    key = load_signing_key(settings.key_path)
    signers = AllowedSigners.load(settings.allowed_signers_path)
    if identity is None:
        names = signers.principals_of(key.fingerprint)
        if len(names) != 1:
            raise SignerNotAllowedError(
                f"key {key.fingerprint} ({settings.key_path}) is listed for "
                f"{', '.join(names) or 'nobody'} in {signers.path}: say who decides with --by")
        identity = names[0]
    signers.check(identity, key.fingerprint, when or datetime.now(timezone.utc))
    return Signer(identity, key)
