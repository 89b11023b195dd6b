"""Package names imported on first use (PEP 562), so importing a package stays cheap."""
from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, where: dict[str, str]):
    """The module `__getattr__` and `__dir__` for `package`, whose public names live in the
    submodules `where` maps them to (relative, e.g. ".errors").

    A name's submodule is imported when the name is first looked up; the value is then kept in
    the package, so later lookups never reach `__getattr__`.
    """
    namespace = vars(sys.modules[package])

    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where[name], package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
