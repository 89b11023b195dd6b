"""Everything the spec tells the container to import imports from the installed package."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import yaml

from kubeflow.validate import executor_class_paths
from pipeline.paths import PROJECT_ROOT

# Imports each dotted path (module, or module.Class) the way the container entrypoint does and
# reports the file it came from and, for classes, the TYPE_NAME (artifact types) if any.
PROBE = """
import importlib, json, sys
found = {}
for path in json.loads(sys.argv[1]):
    try:
        module, type_name = importlib.import_module(path), None
    except ImportError:
        module_name, _, attr = path.rpartition(".")
        module = importlib.import_module(module_name)
        type_name = getattr(getattr(module, attr), "TYPE_NAME", None)
    found[path] = [module.__file__, type_name]
print(json.dumps(found))
"""


def _module_commands(spec: dict) -> set:
    """Modules the containers start with `python -m` (executor entrypoint, ExampleGen driver)."""
    commands = set()
    for executor in spec["deploymentSpec"]["executors"].values():
        container = executor.get("container", {})
        hooks = container.get("lifecycle", {}).values()
        for command in [container.get("command", []), *(h["command"] for h in hooks)]:
            if command[:2] == ["python", "-m"]:
                commands.add(command[2])
    return commands


def _custom_type_titles(spec: dict) -> set:
    schemas = [a["artifactType"]["instanceSchema"] for c in spec["components"].values()
               for kind in ("inputDefinitions", "outputDefinitions")
               for a in c.get(kind, {}).get("artifacts", {}).values()]
    return {t for t in (yaml.safe_load(s)["title"] for s in schemas) if not t.startswith("tfx.")}


def test_every_class_and_module_in_the_spec_imports_in_a_fresh_process(compiled):
    spec = compiled.spec
    classes = set(executor_class_paths(spec).values())
    assert "components.model_approval.executor.Executor" in classes
    paths = sorted(classes | _module_commands(spec) | _custom_type_titles(spec))
    assert not [p for p in paths if p.startswith("__main__")]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["LEDGER_ARTIFACT_DIALECT"] = "kfp"  # as kubeflow/Dockerfile sets it in the image
    with tempfile.TemporaryDirectory() as elsewhere:  # not the checkout: no cwd imports
        result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(paths)], cwd=elsewhere,
                                env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(found) == paths
    temp_roots = (tempfile.gettempdir(), compiled.out_dir)
    # The checkout itself may live under /tmp (a CI clone); only files outside it are suspect.
    assert not [f for f, _ in found.values()
                if f.startswith(temp_roots) and not f.startswith(PROJECT_ROOT + os.sep)]
    # The entrypoint rebuilds a custom artifact from its title: the class must carry that name.
    for title in _custom_type_titles(spec):
        assert found[title][1] == title
