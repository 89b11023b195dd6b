"""Which code and libraries produced a dataset version: git revision, module digests, versions."""
from __future__ import annotations

import importlib.util
import json
import os

from pipeline import provenance as project_provenance
from pipeline.digest import sha256_file
from pipeline.paths import PROJECT_ROOT

LIBRARIES = ("tfx", "tensorflow", "tensorflow_data_validation", "tensorflow_transform",
             "apache_beam")


def code_revision(project_root: str = PROJECT_ROOT) -> tuple[str, int]:
    """(HEAD commit, dirty 1/0) of the project checkout, or ("unversioned", 0) outside git.

    Same helper as LedgerTrainer's manifest, so a model and its data agree on the revision.
    """
    revision = project_provenance.code_revision(project_root)
    return revision.commit, int(revision.dirty)


def library_versions() -> dict[str, str]:
    """Installed versions of the TFX stack, plus the Python version."""
    return project_provenance.library_versions(LIBRARIES)


def _module_file(module: str, project_root: str) -> str:
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


def module_digests(modules: list[str], project_root: str = PROJECT_ROOT) -> list[dict]:
    """[{"module", "file", "sha256"}] for each module path, in the given order."""
    found = []
    for module in modules:
        path = _module_file(module, project_root)
        inside = path.startswith(os.path.join(project_root, ""))
        shown = os.path.relpath(path, project_root) if inside else path  # same on every machine
        found.append({"module": module, "file": shown, "sha256": sha256_file(path)})
    return found


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


def stamp_steps(steps: list[dict], revision: str, dirty: int, modules: list[dict]) -> list[dict]:
    """Each step with the code revision and the digests of the modules it names.

    Modules no step names are recorded on a trailing "modules" step, so none is dropped.
    """
    stamped, used = [], set()
    for step in steps:
        named = [m for m in modules if _references(step, m["module"])]
        used.update(m["module"] for m in named)
        stamped.append({**step, "code_revision": revision, "code_dirty": dirty, "modules": named})
    rest = [m for m in modules if m["module"] not in used]
    if rest:
        stamped.append({"name": "modules", "code_revision": revision, "code_dirty": dirty,
                        "modules": rest})
    return stamped
