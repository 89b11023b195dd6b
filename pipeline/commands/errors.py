"""One error handling for every read/write command: a one-line message on stderr, exit 1."""
from __future__ import annotations

import functools
import sys

import click
from ml_metadata import errors as mlmd_errors

from pipeline.registry import RegistryError

# What any command can meet: the registry's own errors, MLMD's, files, bad values.
COMMON_FAILURES = (RegistryError, mlmd_errors.StatusError, OSError, ValueError)


def one_line_errors(*failures: type[Exception]):
    """Decorator: the given exceptions (plus COMMON_FAILURES) end the command with
    `error: <first line>` on stderr and exit code 1, never a traceback."""
    caught = COMMON_FAILURES + failures

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except caught as exc:
                message = (f"missing {exc} in the connection spec" if isinstance(exc, KeyError)
                           else exc)
                click.echo(f"error: {message}".splitlines()[0], err=True)
                sys.exit(1)

        return wrapper

    return decorate
