"""The allowed-signers file: identity -> public key with a validity window, as git's SSH signing.

One entry per line, in the format of ssh-keygen's ALLOWED SIGNERS (git's
`gpg.ssh.allowedSignersFile`):

    alice,alice@example.org valid-after="20260101",valid-before="20270101" ssh-ed25519 AAAA...

Principals are comma-separated (`*` and `?` wildcards match as in ssh). Options:
`valid-after`/`valid-before` (YYYYMMDD[HHMM[SS]], UTC; a trailing Z is accepted) bound when a
signature may have been made; `namespaces` (comma-separated) restricts the key to those
namespaces and must then include `tfx-ledger`. Blank lines and `#` comments are ignored.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
from dataclasses import dataclass
from datetime import datetime, timezone

from .keys import KEY_TYPES, KeyFileError, PublicKey, fingerprint, load_public_key, public_line

NAMESPACE = "tfx-ledger"
_TIME_FORMATS = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}


class SignerNotAllowedError(ValueError):
    """A signature by a key the allowed signers do not list for that identity at that time."""


@dataclass(frozen=True)
class AllowedSigner:
    """One line of the file."""

    principals: tuple[str, ...]
    public_key: PublicKey
    fingerprint: str
    valid_after: datetime | None = None
    valid_before: datetime | None = None
    namespaces: tuple[str, ...] = ()
    line: int = 0

    def names(self, identity: str) -> bool:
        return any(fnmatch.fnmatchcase(identity, pattern) for pattern in self.principals)

    def signs_in(self, namespace: str = NAMESPACE) -> bool:
        """Whether the key may sign in `namespace` (an entry naming no namespace signs in any)."""
        return not self.namespaces or namespace in self.namespaces

    def valid_at(self, when: datetime) -> bool:
        if self.valid_after and when < self.valid_after:
            return False
        return not (self.valid_before and when >= self.valid_before)

    def window(self) -> str:
        after = self.valid_after.isoformat() if self.valid_after else "any time"
        before = self.valid_before.isoformat() if self.valid_before else "no end"
        return f"{after} .. {before}"


def _time(value: str, where: str) -> datetime:
    text = value.rstrip("Zz")
    if len(text) not in _TIME_FORMATS or not text.isdigit():
        raise KeyFileError(f"{where}: time {value!r} is not YYYYMMDD[HHMM[SS]][Z]")
    return datetime.strptime(text, _TIME_FORMATS[len(text)]).replace(tzinfo=timezone.utc)


_KEY_TYPE_LIKE = re.compile(r"^(ssh|ecdsa|sk)-")
_OPTION = re.compile(r'([A-Za-z-]+)(?:="([^"]*)")?(?:,|$)')


def _options(text: str, where: str) -> dict:
    """`name="value",name2` -> {name: parsed}; quoted values may hold commas."""
    found, position = {}, 0
    while position < len(text):
        match = _OPTION.match(text, position)
        if not match:
            raise KeyFileError(f"{where}: cannot read options {text!r} at column {position + 1}")
        position = match.end()
        name, value = match.group(1).lower(), match.group(2) or ""
        if name in ("valid-after", "valid-before"):
            found[name] = _time(value, where)
        elif name == "namespaces":
            found[name] = tuple(n for n in value.split(",") if n)
        else:
            raise KeyFileError(f"{where}: unsupported option {name!r} "
                               "(valid-after, valid-before and namespaces are)")
    return found


def parse_line(text: str, where: str) -> AllowedSigner | None:
    """An entry from one line (None for a blank or comment line); KeyFileError naming `where`."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    try:
        tokens = shlex.split(stripped, posix=False)
    except ValueError as exc:
        raise KeyFileError(f"{where}: {exc}") from exc
    if len(tokens) < 3:
        raise KeyFileError(f"{where}: expected PRINCIPALS [OPTIONS] KEYTYPE BASE64KEY")
    principals, rest = tokens[0], tokens[1:]
    options = ""
    if not _KEY_TYPE_LIKE.match(rest[0]):
        options, rest = rest[0], rest[1:]
    if len(rest) < 2 or rest[0] not in KEY_TYPES:
        found = rest[0] if rest else "nothing"
        raise KeyFileError(f"{where}: key type {found!r} where {' or '.join(KEY_TYPES)} "
                           "was expected")
    public = load_public_key(f"{rest[0]} {rest[1]}", where)
    parsed = _options(options, where)
    return AllowedSigner(
        principals=tuple(p for p in principals.split(",") if p),
        public_key=public,
        fingerprint=fingerprint(public),
        valid_after=parsed.get("valid-after"),
        valid_before=parsed.get("valid-before"),
        namespaces=parsed.get("namespaces", ()),
        line=int(where.rsplit(":", 1)[1]) if ":" in where else 0,
    )


@dataclass(frozen=True)
class AllowedSigners:
    """Every entry of one allowed-signers file."""

    path: str
    entries: tuple[AllowedSigner, ...]

    @classmethod
    def load(cls, path: str) -> "AllowedSigners":
        """Parse `path`; KeyFileError naming the file (and line) for anything unusable."""
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot read the allowed signers ({exc.strerror})") from exc
        except UnicodeDecodeError as exc:
            raise KeyFileError(f"{path}: not UTF-8 text ({exc})") from exc
        parsed = (parse_line(text, f"{path}:{number}") for number, text in enumerate(lines, 1))
        return cls(path=path, entries=tuple(entry for entry in parsed if entry))

    @classmethod
    def load_or_empty(cls, path: str) -> "AllowedSigners":
        return cls.load(path) if os.path.exists(path) else cls(path=path, entries=())

    def is_principal(self, identity: str) -> bool:
        """Whether any entry names `identity` (whatever its window): it then signs for itself."""
        return any(entry.names(identity) for entry in self.entries)

    def principals_of(self, key_fingerprint: str) -> list[str]:
        """Literal principals listed for a key (for `--by` defaulting to the key's owner)."""
        return [p for e in self.entries if e.fingerprint == key_fingerprint
                for p in e.principals if not any(c in p for c in "*?")]

    def listing(self, identity: str, key_fingerprint: str) -> list[AllowedSigner]:
        """The entries that list the key `key_fingerprint` for `identity` (any window)."""
        return [e for e in self.entries if e.fingerprint == key_fingerprint and e.names(identity)]

    def check(self, identity: str, key_fingerprint: str, when: datetime) -> AllowedSigner:
        """The entry allowing `identity` to sign with this key at `when`, else raise."""
        listed = self.listing(identity, key_fingerprint)
        if not listed:
            raise SignerNotAllowedError(
                f"{identity} may not sign with key {key_fingerprint}: {self.path} "
                f"does not list that key for {identity}")
        for entry in listed:
            if entry.signs_in(NAMESPACE) and entry.valid_at(when):
                return entry
        windows = "; ".join(f"line {e.line}: {e.window()}" for e in listed)
        raise SignerNotAllowedError(
            f"{identity}'s key {key_fingerprint} is not valid at {when.isoformat()} "
            f"for namespace {NAMESPACE} in {self.path} ({windows})")

    def entry_line(self, identity: str, public_key: PublicKey, namespace: str = NAMESPACE) -> str:
        """The line that lists `public_key` for `identity` in `namespace`, in this file's format."""
        return f'{identity} namespaces="{namespace}" {public_line(public_key)}'

    def append(self, line: str) -> None:
        """Add `line` to the file, creating it (and its directory) if absent."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        # O_APPEND: two first runs at once each add a whole line; a duplicate line is harmless.
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
