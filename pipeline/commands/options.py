"""Sets of click parameters that several commands declare alike."""

from __future__ import annotations


def with_options(options):
    """A decorator declaring `options` (click.option/argument decorators) in the order listed."""

    def decorate(function):
        for option in reversed(options):
            function = option(function)
        return function

    return decorate
