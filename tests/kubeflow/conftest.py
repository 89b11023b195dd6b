"""One real Kubeflow compile per session, in a fresh process with the network blocked."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
import yaml

IMAGE = "registry.example.com/ml/tfx-ledger:test"
METADATA_GRPC = "metadata-grpc.mlmd.svc:8080"
BEAM_ARGS = ("--runner=FlinkRunner", "--flink_master=flink-jobmanager:8081",
             "--environment_type=EXTERNAL", "--environment_config=localhost:50000")
CLOSED_PORT_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, connects fail fast


@dataclass(frozen=True)
class Compiled:
    """The compile subprocess and what it wrote."""

    out_dir: str
    pipeline_root: str
    spec_path: str
    job_path: str
    spec: dict
    job: dict
    isolation: list  # command prefix that cut the network off
    env: dict  # the environment the compile ran with
    seconds: float


def isolation_prefix() -> list:
    """`unshare -rn` (own network namespace, loopback down) when the kernel allows it."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"]).returncode == 0:
        return ["unshare", "-rn"]
    return []  # fall back to the dead proxies and unset cloud project of offline_env()


def offline_env() -> dict:
    """The caller's env minus cloud credentials/project, with every proxy at a closed port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CLOUDSDK_"))}
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[name] = CLOSED_PORT_PROXY
    env["no_proxy"] = env["NO_PROXY"] = ""
    return env


MODEL_SIGNING_KEY = "/var/run/secrets/ledger/model-signing-key"


def compile_command(out_dir: str, pipeline_root: str) -> list:
    return [sys.executable, "-m", "kubeflow.compile", "--output-dir", out_dir,
            "--pipeline-root", pipeline_root, "--image", IMAGE, "--metadata-grpc", METADATA_GRPC,
            "--model-signing-key", MODEL_SIGNING_KEY, *[f"--beam-arg={arg}" for arg in BEAM_ARGS]]


@pytest.fixture(scope="session")
def compiled(tmp_path_factory) -> Compiled:
    out = tmp_path_factory.mktemp("kfp")
    root = out / "pipeline-root"
    prefix, env = isolation_prefix(), offline_env()
    started = time.monotonic()
    # cwd outside the checkout: the compile must find everything through the installed package.
    result = subprocess.run(prefix + compile_command(str(out), str(root)), cwd=out, env=env,
                            capture_output=True, text=True, timeout=900)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        pytest.fail(f"compile failed ({result.returncode}):\n{result.stderr[-4000:]}")
    spec_path, job_path = out / "pipeline.yaml", out / "pipeline_job.json"
    return Compiled(str(out), str(root), str(spec_path), str(job_path),
                    yaml.safe_load(spec_path.read_text()), json.loads(job_path.read_text()),
                    prefix, env, seconds)


@pytest.fixture(scope="session")
def local_pipeline(tmp_path_factory, penguins):
    """create_pipeline(...) exactly as a local run builds it (not run)."""
    from tfx import v1 as tfx

    from pipeline.metadata import sqlite_spec
    from pipeline.pipeline import create_pipeline

    home = tmp_path_factory.mktemp("local-home")
    metadata_path = str(home / "metadata.sqlite")
    return create_pipeline(
        pipeline_name="ledger-penguins", pipeline_root=str(home / "pipelines"), dataset=penguins,
        serving_root=str(home / "serving"), metadata_connection=sqlite_spec(metadata_path),
        metadata_connection_config=tfx.orchestration.metadata.sqlite_metadata_connection_config(
            metadata_path))
