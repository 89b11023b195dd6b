"""Where code came from: git revision of the project, module file digests, library versions."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import subprocess
from dataclasses import dataclass

from pipeline.digest import sha256_file
from pipeline.paths import PROJECT_ROOT

UNVERSIONED = "unversioned"
LIBRARIES = ("tfx", "tensorflow", "tensorflow-data-validation", "tensorflow-transform",
             "tensorflow-model-analysis", "apache-beam", "ml-metadata")


@dataclass(frozen=True)
class CodeRevision:
    """The git commit of the project checkout and whether it had uncommitted changes."""

    commit: str
    dirty: bool

    def as_dict(self) -> dict:
        return {"commit": self.commit, "dirty": self.dirty}


def code_revision(root: str = PROJECT_ROOT) -> CodeRevision:
    """The checkout's HEAD and dirty flag, or UNVERSIONED when `root` is not a git checkout."""
    def git(*args):
        return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True,
                              timeout=30)
    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return CodeRevision(UNVERSIONED, False)
        status = git("status", "--porcelain")
    except (OSError, subprocess.TimeoutExpired):
        return CodeRevision(UNVERSIONED, False)
    return CodeRevision(head.stdout.strip(), bool(status.stdout.strip()))


def module_file(dotted: str) -> str:
    """The source file of an importable module, found without importing it."""
    spec = importlib.util.find_spec(dotted)
    if spec is None or not spec.origin:
        raise ModuleNotFoundError(f"module {dotted} not found")
    return spec.origin


def module_digest(dotted: str) -> dict:
    """{'module', 'file', 'sha256'} for a dotted module path."""
    path = module_file(dotted)
    return {"module": dotted, "file": path, "sha256": sha256_file(path)}


def library_versions(names=LIBRARIES) -> dict[str, str]:
    """Installed versions of the ML libraries (and Python) that ran the pipeline."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
