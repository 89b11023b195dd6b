"""Where code came from: git revision, module file digests, library versions, processing steps.

The one provenance module: the run key, the Trainer's run manifest and the DatasetVersion all
read the revision, the module digests and the library versions here, so a model, its data and
its run agree. Git runs once per run: the revision is cached in the process (LocalDagRunner
runs every component in the runner's process; the runner clears the cache at the start of each
run, see `start_run`).
"""
from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
from dataclasses import dataclass

from pipeline.digest import sha256_file
from pipeline.paths import PROJECT_ROOT

UNVERSIONED = "unversioned"
# Distribution names of the stack that ran the pipeline (one list for models and data).
LIBRARIES = ("tfx", "tensorflow", "tensorflow-data-validation", "tensorflow-transform",
             "tensorflow-model-analysis", "apache-beam", "ml-metadata")


@dataclass(frozen=True)
class CodeRevision:
    """The git commit of the project checkout and whether it had uncommitted changes."""

    commit: str
    dirty: bool

    def as_dict(self) -> dict:
        return {"commit": self.commit, "dirty": self.dirty}


@functools.lru_cache(maxsize=None)
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


def start_run() -> None:
    """Forget the revision read for a previous run of this process (tests, long-lived hosts)."""
    code_revision.cache_clear()


def library_versions(names=LIBRARIES) -> dict[str, str]:
    """Installed versions of the ML libraries (and Python) that ran the pipeline."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def module_file(module: str, project_root: str = PROJECT_ROOT) -> str:
    """The file behind a module path (file path or dotted name, attribute suffix allowed)."""
    if module.endswith(".py") or os.sep in module:
        path = module if os.path.isabs(module) else os.path.join(project_root, module)
        if os.path.isfile(path):
            return path
        raise FileNotFoundError(f"module file not found: {module}")
    parts = module.split(".")
    for end in range(len(parts), 0, -1):  # "pkg.mod.fn" names an attribute of pkg/mod.py
        base = os.path.join(project_root, *parts[:end])
        for path in (base + ".py", os.path.join(base, "__init__.py")):
            if os.path.isfile(path):
                return path
    spec = importlib.util.find_spec(module)  # installed outside the project (e.g. an image)
    if spec is not None and spec.origin and os.path.isfile(spec.origin):
        return spec.origin
    raise FileNotFoundError(f"module not found: {module}")


def module_digest(module: str, project_root: str = PROJECT_ROOT) -> dict:
    """{"module", "file", "sha256"}; the file relative to the project (same on every machine)."""
    path = module_file(module, project_root)
    inside = path.startswith(os.path.join(project_root, ""))
    shown = os.path.relpath(path, project_root) if inside else path
    return {"module": module, "file": shown, "sha256": sha256_file(path)}


def module_digests(modules: list[str], project_root: str = PROJECT_ROOT) -> list[dict]:
    """module_digest of each module path, in the given order."""
    return [module_digest(module, project_root) for module in modules]


def _references(step, module: str) -> bool:
    """Whether any string inside a step names the module (or an attribute of it)."""
    if isinstance(step, dict):
        return any(_references(value, module) for value in step.values())
    if isinstance(step, list):
        return any(_references(value, module) for value in step)
    return isinstance(step, str) and (step == module or step.startswith(module + "."))


def parse_steps(steps_json: str) -> list[dict]:
    """The processing_steps execution property as a list of step dicts, in order."""
    steps = json.loads(steps_json or "[]")
    if isinstance(steps, dict):  # {"name": {...}} keeps insertion order
        steps = [{"name": name, **config} for name, config in steps.items()]
    return [dict(step) if isinstance(step, dict) else {"name": str(step)} for step in steps]


def attach_output(steps: list[dict], component: str, output: dict) -> list[dict]:
    """Adds an output record to the step named `component`, appending that step when absent."""
    for step in steps:
        if component.lower() in (str(step.get("name", "")).lower(),
                                 str(step.get("component", "")).lower()):
            step.setdefault("outputs", []).append(output)
            return steps
    return steps + [{"name": component, "outputs": [output]}]


def stamp_steps(steps: list[dict], revision: CodeRevision, modules: list[dict]) -> list[dict]:
    """Each step with the code revision and the digests of the modules it names.

    Modules no step names are recorded on a trailing "modules" step, so none is dropped.
    """
    stamp = {"code_revision": revision.commit, "code_dirty": int(revision.dirty)}
    stamped, used = [], set()
    for step in steps:
        named = [m for m in modules if _references(step, m["module"])]
        used.update(m["module"] for m in named)
        stamped.append({**step, **stamp, "modules": named})
    rest = [m for m in modules if m["module"] not in used]
    if rest:
        stamped.append({"name": "modules", **stamp, "modules": rest})
    return stamped
