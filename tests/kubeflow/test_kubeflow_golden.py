"""The compiled spec equals the committed golden spec, volatile fields masked.

Regenerate after an intended pipeline change, then review the diff:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/kubeflow/test_kubeflow_golden.py
"""
from __future__ import annotations

import difflib
import os
import re

import yaml

from pipeline.paths import PROJECT_ROOT

GOLDEN = os.path.join(os.path.dirname(__file__), "golden", "pipeline.yaml")
IMAGE = "registry.example.com/ml/tfx-ledger:test"
# Versions that change with the toolchain, not with our pipeline; `.whl` names carry hashes.
VOLATILE = [(re.compile(r"\btfx-\d+\.\d+\.\d+\S*"), "tfx-<version>"),
            (re.compile(r"\S+\.whl\b"), "<wheel>"),
            (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?"), "<timestamp>")]


def _mask_text(text: str, tmp_dir: str) -> str:
    for literal, mask in ((IMAGE, "<image>"), (tmp_dir, "<tmp>"), (PROJECT_ROOT, "<checkout>")):
        text = text.replace(literal, mask)
    for pattern, mask in VOLATILE:
        text = pattern.sub(mask, text)
    return text


def _mask(value, tmp_dir: str):
    """The spec with the image, paths, versions and timestamps replaced by placeholders."""
    if isinstance(value, dict):
        return {k: _mask(v, tmp_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, tmp_dir) for v in value]
    return _mask_text(value, tmp_dir) if isinstance(value, str) else value


def _dump(spec: dict) -> str:
    return yaml.safe_dump(spec, sort_keys=True, width=100)


def test_spec_matches_golden(compiled):
    masked = _mask(compiled.spec, compiled.out_dir)
    assert masked["sdkVersion"] == "tfx-<version>"
    if os.environ.get("UPDATE_GOLDEN"):
        os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
        with open(GOLDEN, "w") as handle:
            handle.write("# Golden KFP spec (masked). Regenerate: UPDATE_GOLDEN=1 pytest "
                         "tests/kubeflow/test_kubeflow_golden.py\n" + _dump(masked))
    with open(GOLDEN) as handle:
        golden = yaml.safe_load(handle)
    if masked != golden:
        diff = difflib.unified_diff(_dump(golden).splitlines(), _dump(masked).splitlines(),
                                    "golden", "compiled", lineterm="", n=2)
        raise AssertionError("spec differs from golden (UPDATE_GOLDEN=1 if intended):\n"
                             + "\n".join(list(diff)[:80]))
