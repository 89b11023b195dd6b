"""lazy_exports: a package's names are imported from their submodule on first use only."""
from __future__ import annotations

import sys

import pytest

PACKAGE = "lazy_exports_sample"


@pytest.fixture
def package(tmp_path, monkeypatch):
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text(
        "from pipeline.lazy import lazy_exports\n"
        "__getattr__, __dir__ = lazy_exports(__name__, {'Answer': '.heavy'})\n")
    (root / "heavy.py").write_text("Answer = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield __import__(PACKAGE)
    for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_a_name_loads_its_module_on_first_use_and_is_kept(package):
    assert f"{PACKAGE}.heavy" not in sys.modules and "Answer" in dir(package)
    from lazy_exports_sample import Answer

    assert Answer == 42 and f"{PACKAGE}.heavy" in sys.modules
    assert vars(package)["Answer"] == 42  # later lookups do not go through __getattr__


def test_an_unknown_name_is_an_attribute_error_naming_the_package(package):
    with pytest.raises(AttributeError, match=f"module '{PACKAGE}' has no attribute 'Question'"):
        package.Question  # noqa: B018
