"""A real MLMD store whose method calls are counted: cost tests assert on the calls, not time."""

from __future__ import annotations


class CountingStore:
    """The real MLMD store, with every method call counted."""

    def __init__(self, store):
        self._store, self.calls = store, []

    def __getattr__(self, name):
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def counted(*args, **kwargs):
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return counted
