"""Audit of every pushed version: its files against the manifest and digests, and its signature."""

from __future__ import annotations

from dataclasses import dataclass

from . import deploy, queries, schema
from .errors import RegistryError

SIGNED, UNSIGNED, FAILED = "signed", "unsigned", "failed"


@dataclass(frozen=True)
class PushedCheck:
    """One pushed version's files and signature, re-checked: `status` is signed, unsigned
    (pushed before model signing, files still checked) or failed (`problem` says why)."""

    identifier: str
    path: str
    status: str
    files_checked: int = 0
    signed_by: str = ""
    problem: str = ""


def check_pushed(registry) -> list[PushedCheck]:
    """Every version with a pushed directory, by model name and version."""
    pushed = sorted((schema.prop(a, "model_name"), int(schema.prop(a, "version", 0)))
                    for a in queries.version_artifacts(registry.store)
                    if schema.prop(a, "pushed_destination"))
    return [_check(registry, registry.version(name, version)) for name, version in pushed]


def _check(registry, info) -> PushedCheck:
    try:
        loaded = deploy.verify_pushed(registry, info)
    except (RegistryError, OSError, ValueError) as exc:
        return PushedCheck(info.identifier, info.pushed_destination, FAILED, problem=str(exc))
    status = SIGNED if loaded.signed_by else UNSIGNED
    return PushedCheck(info.identifier, loaded.path, status, loaded.files_checked,
                       loaded.signed_by)


def pushed_text(checks: list[PushedCheck]) -> str:
    """One line per pushed version; the heading says OK only when none failed."""
    failed = [c for c in checks if c.status == FAILED]
    unsigned = [c for c in checks if c.status == UNSIGNED]
    plural = "" if len(checks) == 1 else "s"
    head = (f"{'FAILED' if failed else 'OK'}: {len(checks)} pushed version{plural} checked "
            f"(files and signatures), {len(failed)} failed, {len(unsigned)} unsigned (legacy)")
    lines = [head]
    for check in checks:
        if check.status == FAILED:
            lines.append(f"  {check.identifier}: {check.problem}")
        elif check.status == SIGNED:
            lines.append(f"  {check.identifier}: {check.files_checked} files, signed by key "
                         f"{check.signed_by}")
        else:
            lines.append(f"  {check.identifier}: {check.files_checked} files, unsigned "
                         "(pushed before model signing)")
    return "\n".join(lines)
