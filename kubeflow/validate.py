"""Offline checks of a compiled spec with kfp's own protos and loader (what `--check` runs)."""
from __future__ import annotations

import yaml


def executor_class_paths(spec: dict) -> dict[str, str]:
    """Executor label -> the `--executor_class_path` its container runs."""
    paths = {}
    for label, executor in spec["deploymentSpec"]["executors"].items():
        args = executor.get("container", {}).get("args", [])
        if "--executor_class_path" in args:
            paths[label] = args[args.index("--executor_class_path") + 1]
    return paths


def validate_spec_file(path: str) -> list[str]:
    """Problems found in a PipelineSpec YAML; empty when it parses strictly and loads."""
    from google.protobuf import json_format
    from kfp import components
    from kfp.pipeline_spec import pipeline_spec_pb2

    with open(path, encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)
    problems = []
    try:
        json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
        components.load_component_from_file(path)
    except Exception as err:  # noqa: BLE001 - any parse/load failure is the finding
        problems.append(f"{type(err).__name__}: {err}")
    # A class defined in a script compiles to `__main__.X`, which no image can import.
    problems += [f"{label} runs {cls}, which the image cannot import"
                 for label, cls in executor_class_paths(spec).items()
                 if cls.startswith("__main__.")]
    return problems
