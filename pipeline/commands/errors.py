"""One error handling for every read/write command: a one-line message on stderr, exit 1."""
from __future__ import annotations

import functools
import sys

import click

from pipeline.registry.errors import RegistryError

# What any command can meet: the registry's own errors, MLMD's, files, bad values.
COMMON_FAILURES = (RegistryError, OSError, ValueError)


def _mlmd_failure(exc: Exception) -> bool:
    """An MLMD StatusError. Importing ml_metadata costs ~0.5 s (gRPC) that a command which
    never opened a store should not pay; such a command cannot have raised one."""
    mlmd_errors = sys.modules.get("ml_metadata.errors")
    return mlmd_errors is not None and isinstance(exc, mlmd_errors.StatusError)


def one_line_errors(*failures: type[Exception]):
    """Decorator: the given exceptions (plus COMMON_FAILURES and MLMD's StatusError) end the
    command with `error: <first line>` on stderr and exit code 1, never a traceback."""
    caught = COMMON_FAILURES + failures

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - re-raised below unless it is ours
                if not (isinstance(exc, caught) or _mlmd_failure(exc)):
                    raise
                message = (f"missing {exc} in the connection spec" if isinstance(exc, KeyError)
                           else exc)
                click.echo(f"error: {message}".splitlines()[0], err=True)
                sys.exit(1)

        return wrapper

    return decorate
