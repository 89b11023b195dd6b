"""`ledger compile`: the pipeline as a Kubeflow Pipelines PipelineSpec YAML and PipelineJob JSON."""
from __future__ import annotations

import os
import tempfile

import click

from pipeline.commands import context
from pipeline.paths import DEFAULT_DATASET_CONFIG

DEFAULT_IMAGE = "tfx-ledger:0.1.0"


def _options(image, metadata_grpc, metadata_mysql_config, **values):
    """CompileOptions from the command line; option errors become click errors."""
    from kubeflow import connection
    from kubeflow.compile import CompileOptions

    try:
        spec = connection.cluster_spec(metadata_grpc, metadata_mysql_config)
    except (ValueError, OSError) as err:
        raise click.BadParameter(str(err)) from None
    return CompileOptions(image=image, metadata_connection=spec, **values)


def _check(dataset, options) -> None:
    """Compiles into a scratch directory, validates with kfp, keeps nothing."""
    from kubeflow.compile import compile_pipeline
    from kubeflow.validate import validate_spec_file

    with tempfile.TemporaryDirectory(prefix="ledger-kfp-check-") as scratch:
        compiled = compile_pipeline(dataset, options, scratch)
        problems = validate_spec_file(compiled.spec_path)
    if problems:
        raise click.ClickException("spec is not valid:\n  " + "\n  ".join(problems))
    click.echo(f"spec OK:        {compiled.pipeline_name} (nothing written)")


@click.command("compile")
@click.option("--dataset-config", default=DEFAULT_DATASET_CONFIG, show_default=True,
              type=click.Path(dir_okay=False), help="YAML/JSON dataset config.")
@click.option("--image", default=DEFAULT_IMAGE, show_default=True,
              help="Image (name:tag) every step runs in; build it with kubeflow/Dockerfile.")
@click.option("--output-dir", default=None,
              help="Where to write pipeline.yaml and pipeline_job.json "
                   "(default $LEDGER_HOME/kubeflow/).")
@click.option("--pipeline-root", default=None,
              help="Pipeline root for the PipelineJob JSON (e.g. gs://bucket/root). Default: "
                   "none, the cluster's default or the run's pipeline root applies.")
@click.option("--serving-root", default="/mnt/models", show_default=True,
              help="Where VersionedPusher writes model versions; a volume or URI every "
                   "pipeline pod and your model servers can reach.")
@click.option("--data-root", default=None,
              help="Default of the data_root runtime parameter (directory holding the CSV). "
                   "Default: the dataset's directory inside the image.")
@click.option("--metadata-grpc", default=None, metavar="HOST:PORT",
              help="MLMD gRPC service the registry components write to "
                   "[default: metadata-grpc-service.kubeflow:8080].")
@click.option("--metadata-mysql-config", default=None, type=click.Path(dir_okay=False),
              help='JSON file {"host", "port", "database", "user", "password_env"}; the password '
                   "is read in the pod from the env var named by password_env.")
@click.option("--train-steps", default=200, show_default=True, type=click.IntRange(1),
              help="Default of the train_args runtime parameter.")
@click.option("--accuracy-threshold", default=0.8, show_default=True,
              type=click.FloatRange(0, 1), help="Evaluator floor (fixed at compile time).")
@click.option("--approval", "approval_mode", type=click.Choice(["auto", "manual"]),
              default="auto", show_default=True, help="Approval mode (fixed at compile time).")
@click.option("--beam-arg", "beam_args", multiple=True,
              help="Beam pipeline option for every Beam-powered step, repeatable, e.g. "
                   "--beam-arg=--runner=FlinkRunner --beam-arg=--flink_master=flink:8081. "
                   "Default: DirectRunner in memory.")
@click.option("--signing-key-env", default="",
              help="Env var (in the pods) holding the governance-log HMAC key.")
@click.option("--model-signing-key", default="",
              help="Path, in the pusher's pod, of a mounted ECDSA P-256 key that signs each "
                   "pushed version (model-signing); empty: cluster pushes are unsigned.")
@click.option("--service-key-file", "service_key", default="", metavar="PATH",
              help="Absolute path, in the approval and push pods, of the mounted Ed25519 service "
                   "key that signs the registry records (a Kubernetes secret); with "
                   "--allowed-signers-file. Empty: records are unsigned.")
@click.option("--allowed-signers-file", "allowed_signers", default="", metavar="PATH",
              help="Absolute path, in those pods, of the allowed-signers file that lists the "
                   "service key (and the people who may approve).")
@click.option("--no-baseline", is_flag=True,
              help="Leave out the latest-blessed-model resolver (open-source KFP 2.x refuses "
                   "resolver nodes); approval then compares with the registry's deployed version.")
@click.option("--check", is_flag=True,
              help="Only compile into a temp dir and validate with kfp; write nothing.")
def compile(dataset_config, image, output_dir, pipeline_root, serving_root, data_root,
            metadata_grpc, metadata_mysql_config, train_steps, accuracy_threshold,
            approval_mode, beam_args, signing_key_env, model_signing_key, service_key,
            allowed_signers, no_baseline, check):
    """Compile the pipeline to Kubeflow Pipelines (KubeflowV2DagRunner); nothing runs."""
    from pipeline.config import DatasetConfigError, load_dataset_config

    try:
        dataset = load_dataset_config(dataset_config)
    except DatasetConfigError as err:
        raise click.ClickException(str(err)) from None
    options = _options(image, metadata_grpc, metadata_mysql_config, pipeline_root=pipeline_root,
                       serving_root=serving_root, data_root=data_root, train_steps=train_steps,
                       accuracy_threshold=accuracy_threshold, approval_mode=approval_mode,
                       beam_args=tuple(beam_args), signing_key_env=signing_key_env,
                       model_signing_key=model_signing_key, service_key=service_key,
                       allowed_signers=allowed_signers, baseline=not no_baseline)
    from kubeflow.compile import CompileError, compile_pipeline
    from kubeflow.connection import MetadataOptionError

    try:
        if check:
            return _check(dataset, options)
        out = output_dir or os.path.join(context.settings().home, "kubeflow")
        compiled = compile_pipeline(dataset, options, out)
    except (CompileError, MetadataOptionError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"pipeline:       {compiled.pipeline_name} (image {image})")
    click.echo(f"PipelineSpec:   {compiled.spec_path}")
    click.echo(f"PipelineJob:    {compiled.job_path}")
    for name, default in compiled.parameters.items():
        click.echo(f"parameter:      {name} = {default}")


COMMANDS = [compile]
