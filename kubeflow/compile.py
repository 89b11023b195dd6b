"""Compile the pipeline to Kubeflow Pipelines: a PipelineSpec YAML to upload, a PipelineJob JSON."""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass

import yaml

from kubeflow import connection
from pipeline.config import DatasetConfig
from pipeline.paths import PROJECT_ROOT

SPEC_FILE = "pipeline.yaml"  # bare PipelineSpec: what the KFP UI / `kfp pipeline create` take
JOB_FILE = "pipeline_job.json"  # PipelineJob: spec plus runtime config (Vertex, kfp.Client)
DEFAULT_SERVING_ROOT = "/mnt/models"
IMAGE_PROJECT_ROOT = "/opt/tfx-ledger"  # where kubeflow/Dockerfile installs the project
DATA_ROOT_PARAM = "data_root"
TRAIN_ARGS_PARAM = "train_args"
# The run id, filled by the KFP/Vertex driver for each run; ModelApproval records it on the version.
RUN_ID_PLACEHOLDER = "{{$.pipeline_job_uuid}}"
DIALECT_ENV = "LEDGER_ARTIFACT_DIALECT"  # components/data_lineage/artifacts.py; the image sets it


class CompileError(ValueError):
    """The options cannot produce a spec that would run on a cluster."""


@dataclass(frozen=True)
class CompileOptions:
    """What `ledger compile` bakes into the spec; runtime parameters default to these values."""

    image: str
    metadata_connection: str  # JSON MLMD spec: {"grpc": ...} or {"mysql": ...}, never sqlite
    serving_root: str = DEFAULT_SERVING_ROOT
    pipeline_root: str | None = None  # None: the cluster's default root, or the run's choice
    data_root: str | None = None  # None: the dataset's directory inside the image
    train_steps: int = 200
    accuracy_threshold: float = 0.8
    approval_mode: str = "auto"
    beam_args: tuple[str, ...] = ()
    signing_key_env: str = ""
    # Path, inside the pusher's pod, of a mounted ECDSA P-256 key; "" leaves pushes unsigned.
    model_signing_key: str = ""
    # Paths, inside the approval and push pods, of the mounted Ed25519 service key and of the
    # allowed-signers file listing it: the spec names them, the key never enters it. Both, or
    # neither (records unsigned, as a spec compiled before keys).
    service_key: str = ""
    allowed_signers: str = ""
    # Open-source KFP 2.x refuses resolver nodes; without the baseline resolver the approval
    # policy compares the candidate with the registry's deployed version instead.
    baseline: bool = True


@dataclass(frozen=True)
class CompiledPipeline:
    """The files written and the runtime parameters (with defaults) the spec declares."""

    pipeline_name: str
    spec_path: str
    job_path: str
    parameters: dict


def use_kubeflow_artifact_types() -> None:
    """Selects the `ledger_types.*` artifact types; they are chosen once, when first imported."""
    os.environ[DIALECT_ENV] = "kfp"
    loaded = sys.modules.get("components.data_lineage.artifacts")
    if loaded is not None and loaded.DIALECT != "kfp":
        raise CompileError("the local (mlmd) artifact types are already loaded in this process: "
                           "compile in a fresh one (`ledger compile`)")


def pod_settings(options: CompileOptions) -> str | None:
    """pipeline/settings.py's JSON for the approval and push pods (paths only), or None.

    A pod has no ledger home to create a key in or list it: the service key is managed (must
    exist where the secret is mounted) and the allowed signers are named, as with
    `ledger --service-key FILE --allowed-signers FILE` locally.
    """
    from pipeline.settings import Settings

    named = {"--service-key-file": options.service_key,
             "--allowed-signers-file": options.allowed_signers}
    if not any(named.values()):
        return None
    missing = [option for option, path in named.items() if not path]
    if missing:
        raise CompileError(f"{' and '.join(named)} go together: a pod has no ledger home in "
                           f"which a key could be made or listed; give {missing[0]} too")
    relative = [f"{option} {path}" for option, path in named.items() if not os.path.isabs(path)]
    if relative:
        raise CompileError(f"{', '.join(relative)}: give the absolute path where the pods mount "
                           "the file")
    return Settings(
        home="", metadata_spec=options.metadata_connection, serving_root=options.serving_root,
        service_key_path=options.service_key, allowed_signers_path=options.allowed_signers,
        service_key_managed=True, model_key_path=options.model_signing_key,
        model_key_managed=bool(options.model_signing_key)).to_json()


def kfp_pipeline_name(dataset: DatasetConfig) -> str:
    """The local runner's pipeline name, folded into KFP's [a-z0-9-] alphabet."""
    from pipeline.local_runner import pipeline_name_for

    return re.sub(r"[^a-z0-9-]", "-", pipeline_name_for(dataset).lower())


def image_data_root(dataset: DatasetConfig) -> str:
    """Where the image holds the dataset directory (the Dockerfile copies the checkout)."""
    relative = os.path.relpath(os.path.abspath(dataset.data_dir), PROJECT_ROOT)
    if relative.startswith(os.pardir):
        raise CompileError(f"{dataset.data_dir} is not in the project, so not in the image: "
                           "pass --data-root with a path or URI the cluster can read")
    return f"{IMAGE_PROJECT_ROOT}/{relative}"


def parameter_defaults(dataset: DatasetConfig, options: CompileOptions) -> dict:
    """Runtime parameter name -> default value (strings: TFX substitutes protos as JSON)."""
    return {DATA_ROOT_PARAM: options.data_root or image_data_root(dataset),
            TRAIN_ARGS_PARAM: json.dumps({"num_steps": options.train_steps})}


def build_pipeline(dataset: DatasetConfig, options: CompileOptions, pipeline_root: str):
    """The same create_pipeline as the local run, with the per-run knobs as RuntimeParameters."""
    use_kubeflow_artifact_types()
    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline

    connection.check_cluster_spec(options.metadata_connection)
    settings = pod_settings(options)
    params = {name: tfx.dsl.experimental.RuntimeParameter(name=name, ptype=str, default=value)
              for name, value in parameter_defaults(dataset, options).items()}
    return create_pipeline(
        pipeline_name=kfp_pipeline_name(dataset), pipeline_root=pipeline_root, dataset=dataset,
        serving_root=options.serving_root, metadata_connection=options.metadata_connection,
        data_root=params[DATA_ROOT_PARAM], train_steps=params[TRAIN_ARGS_PARAM],
        accuracy_threshold=options.accuracy_threshold, approval_mode=options.approval_mode,
        beam_pipeline_args=list(options.beam_args) or None,
        signing_key_env=options.signing_key_env, baseline=options.baseline,
        model_signing_key=options.model_signing_key, pipeline_run=RUN_ID_PLACEHOLDER,
        settings=settings)


def compile_job(dataset: DatasetConfig, options: CompileOptions) -> dict:
    """The PipelineJob as a dict (pipelineSpec inside), compiled by KubeflowV2DagRunner."""
    pod_settings(options)  # option errors before TFX's imports (tens of seconds)
    use_kubeflow_artifact_types()
    from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner as kfp_v2

    defaults = parameter_defaults(dataset, options)
    # Wheels for module files would be built under the root; ours use dotted paths, and a
    # throw-away local root keeps compiling free of GCS even if that ever changes.
    with tempfile.TemporaryDirectory(prefix="ledger-kfp-root-") as scratch_root:
        pipeline = build_pipeline(dataset, options, options.pipeline_root or scratch_root)
        # Schema 2.1 (`parameterType`, `constant`): KFP 2.x backends resolve only that form.
        config = kfp_v2.KubeflowV2DagRunnerConfig(default_image=options.image,
                                                  use_pipeline_spec_2_1=True)
        job = kfp_v2.KubeflowV2DagRunner(config=config).run(
            pipeline, parameter_values=defaults, write_out=False)
    if not options.pipeline_root:
        job["runtimeConfig"].pop("gcsOutputDirectory", None)
    _declare_defaults(job["pipelineSpec"], defaults)
    return job


def _declare_defaults(spec: dict, defaults: dict) -> None:
    """TFX leaves root parameters without defaults; KFP would then demand every one per run."""
    parameters = spec["root"]["inputDefinitions"]["parameters"]
    for name, value in defaults.items():
        parameters[name].update(defaultValue=value, isOptional=True)


def write_outputs(job: dict, output_dir: str) -> tuple[str, str]:
    """Writes the bare PipelineSpec YAML and the PipelineJob JSON; returns their paths."""
    os.makedirs(output_dir, exist_ok=True)
    spec_path, job_path = os.path.join(output_dir, SPEC_FILE), os.path.join(output_dir, JOB_FILE)
    with open(spec_path, "w", encoding="utf-8") as handle:
        handle.write(f"# PIPELINE DEFINITION\n# Name: {job['pipelineSpec']['pipelineInfo']['name']}"
                     "\n# Compiled by `ledger compile` (tfx-ledger) with KubeflowV2DagRunner.\n")
        yaml.safe_dump(job["pipelineSpec"], handle, sort_keys=True)
    with open(job_path, "w", encoding="utf-8") as handle:
        json.dump(job, handle, sort_keys=True, indent=2)
        handle.write("\n")
    return spec_path, job_path


def compile_pipeline(dataset: DatasetConfig, options: CompileOptions,
                     output_dir: str) -> CompiledPipeline:
    """Compiles and writes both files."""
    job = compile_job(dataset, options)
    spec_path, job_path = write_outputs(job, output_dir)
    return CompiledPipeline(job["pipelineSpec"]["pipelineInfo"]["name"], spec_path, job_path,
                            parameter_defaults(dataset, options))


if __name__ == "__main__":  # `python -m kubeflow.compile ...` == `ledger compile ...`
    from pipeline.commands.compile import compile as compile_command

    compile_command(prog_name="python -m kubeflow.compile")
