"""Every shell example in README.md and docs/*.md runs as written, so none can go stale.

Per file, its ```bash blocks run in order, each as `bash -euo pipefail`, in the repository
root, with the venv's bin first on PATH and LEDGER_HOME set to a fresh copy of a home in which
the bundled penguins pipeline ran once (penguins@1 pushed, auto-approved). A block preceded by
`<!-- doc-test: covered-by PATH -->` is not run: PATH must contain its command lines verbatim.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest

from pipeline.paths import PROJECT_ROOT
from tests.docs.markdown_blocks import blocks, broken_links, machine_paths, problems

BLOCK_TIMEOUT_S = 300
DOC_FILES = ["README.md"] + sorted(
    os.path.relpath(p, PROJECT_ROOT) for p in glob.glob(os.path.join(PROJECT_ROOT, "docs", "*.md")))


def _read(relative: str) -> str:
    with open(os.path.join(PROJECT_ROOT, relative), encoding="utf-8") as handle:
        return handle.read()


def _blocks(relative: str):
    return blocks(relative, _read(relative))


def _environment(home: str) -> dict:
    """The caller's environment without ledger settings, plus the documented ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["LEDGER_HOME"] = home
    return env


def _untracked() -> set[str]:
    """Files git does not track in the checkout (an example must not leave any)."""
    if not os.path.exists(os.path.join(PROJECT_ROOT, ".git")):
        return set()
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    return {line[3:] for line in out.splitlines() if line.startswith("??")}


@pytest.mark.parametrize("relative", DOC_FILES)
def test_blocks_are_runnable_or_covered_links_resolve_and_paths_are_portable(relative):
    found = _blocks(relative)
    problems_in = [p for block in found for p in problems(block, PROJECT_ROOT)]
    problems_in += machine_paths(relative, _read(relative))
    problems_in += broken_links(relative, _read(relative), PROJECT_ROOT)
    assert not problems_in, "\n".join(problems_in)


@pytest.mark.pipeline
@pytest.mark.parametrize("relative", DOC_FILES)
def test_bash_examples_run_in_order(relative, one_run_home, tmp_path):
    runnable = [b for b in _blocks(relative) if b.info == "bash" and b.covered_by is None]
    if not runnable:
        pytest.skip(f"{relative} has no ```bash block to run")
    home = str(tmp_path / "home")
    shutil.copytree(one_run_home, home)
    env, before = _environment(home), _untracked()
    for block in runnable:
        try:
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", block.text], cwd=PROJECT_ROOT,
                                  env=env, capture_output=True, text=True,
                                  timeout=BLOCK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{block.where}: still running after {BLOCK_TIMEOUT_S} s:\n{block.text}")
        assert done.returncode == 0, (
            f"{block.where}: exit {done.returncode}\n--- block\n{block.text}--- stdout\n"
            f"{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
    left = sorted(_untracked() - before)
    for name in left:
        os.remove(os.path.join(PROJECT_ROOT, name))
    assert not left, f"{relative}: examples left files in the checkout: {left}"
