"""One spec compiled against the session's MariaDB, and the runs of it the tests share."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from pipeline.paths import PROJECT_ROOT

PENGUINS_DIR = os.path.join(PROJECT_ROOT, "data", "penguins")
TRAIN_ARGS_RUN2 = '{"num_steps": 250}'


@dataclass(frozen=True)
class KfpSetup:
    """The compiled spec, the MySQL config file it names and where runs write."""

    work_dir: str  # holds pipeline.yaml and mysql.json: the documented commands run here
    spec_path: str
    mysql_config: str
    metadata: dict  # {"mysql": {...}}
    pipeline_root: str
    serving_root: str
    home: str
    allowed_signers: str  # lists the service and model keys the pods sign with


def mount_secrets(directory) -> dict:
    """The key files a cluster would mount from Kubernetes secrets, made as an operator would
    (ssh-keygen), and the allowed-signers file listing them -> compile options naming them."""
    directory.mkdir()
    service, model = directory / "service_ed25519", directory / "model_ecdsa"
    for key, kind in ((service, ["-t", "ed25519"]), (model, ["-t", "ecdsa", "-b", "256"])):
        subprocess.run(["ssh-keygen", "-q", *kind, "-N", "", "-C", "ledger", "-f", str(key)],
                       check=True, capture_output=True)
    signers = directory / "allowed_signers"
    signers.write_text(
        f'pipeline namespaces="tfx-ledger" {(directory / "service_ed25519.pub").read_text()}'
        f'pipeline namespaces="tfx-ledger-models" {(directory / "model_ecdsa.pub").read_text()}')
    return {"--service-key-file": str(service), "--allowed-signers-file": str(signers),
            "--model-signing-key": str(model)}


def ledger(*args, cwd, env=None, timeout=1800) -> subprocess.CompletedProcess:
    """The `ledger` command in a fresh process (the CLI a user runs)."""
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def kfp_setup(tmp_path_factory, mariadb) -> KfpSetup:
    work = tmp_path_factory.mktemp("kfp-local")
    metadata = mariadb.create_database("kfp_backend")
    config = work / "mysql.json"
    config.write_text(json.dumps(metadata["mysql"]))
    serving, home = work / "serving", work / "home"
    secrets = mount_secrets(work / "secrets")
    result = subprocess.run(
        [sys.executable, "-m", "kubeflow.compile", "--output-dir", str(work),
         "--metadata-mysql-config", str(config), "--serving-root", str(serving),
         "--data-root", PENGUINS_DIR, "--image", "registry.example.com/ml/tfx-ledger:test",
         *[part for option in secrets.items() for part in option]],
        cwd=work, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        pytest.fail(f"compile failed:\n{result.stderr[-3000:]}")
    return KfpSetup(str(work), str(work / "pipeline.yaml"), str(config), metadata,
                    str(home / "kfp-root"), str(serving), str(home),
                    secrets["--allowed-signers-file"])


@dataclass(frozen=True)
class StartedRun:
    """A `ledger kfp-run` process started in the background, and what it was given."""

    process: subprocess.Popen
    data_root: str
    pipeline_root: str
    output: str  # directory holding its stdout and stderr

    def finish(self, timeout=1800) -> subprocess.CompletedProcess:
        self.process.wait(timeout=timeout)
        read = {name: open(os.path.join(self.output, name)).read()
                for name in ("stdout", "stderr")}
        return subprocess.CompletedProcess(self.process.args, self.process.returncode,
                                           read["stdout"], read["stderr"])


@pytest.fixture(scope="session")
def kfp_failing_run(kfp_setup, tmp_path_factory) -> StartedRun:
    """A run whose data_root points at nothing, started before run 1: it fails at its first
    task (ExampleGen's hook, then its executor), on the core run 1's serial start leaves idle."""
    work = tmp_path_factory.mktemp("kfp-failing")
    missing, root = str(work / "no-such-data"), str(work / "root")
    with open(work / "stdout", "w") as stdout, open(work / "stderr", "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "kfp-run", kfp_setup.spec_path,
             "--metadata-mysql-config", kfp_setup.mysql_config, "--pipeline-root", root,
             "--param", f"data_root={missing}"],
            cwd=kfp_setup.work_dir, stdout=stdout, stderr=stderr, text=True)
    yield StartedRun(process, missing, root, str(work))
    if process.poll() is None:  # its test was deselected or failed early
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def kfp_run1(kfp_setup, kfp_failing_run):
    """Run 1 of the compiled spec, Vertex mode, through the runner API (results inspected)."""
    from kubeflow.local_backend import runner, spec

    result = runner.run_pipeline(spec.load(kfp_setup.spec_path), runner.RunOptions(
        pipeline_root=kfp_setup.pipeline_root, metadata=kfp_setup.metadata, parallel=2))
    if result.failure:
        raise result.failure
    return result


@pytest.fixture(scope="session")
def kfp_run2(kfp_run1, kfp_setup) -> subprocess.CompletedProcess:
    """Run 2 through `ledger kfp-run`, as documented: a new training budget, so version 2."""
    env = dict(os.environ, LEDGER_HOME=kfp_setup.home)
    return ledger("kfp-run", "pipeline.yaml", "--metadata-mysql-config", "mysql.json",
                  "--parallel", "2", "--param", f"train_args={TRAIN_ARGS_RUN2}",
                  cwd=kfp_setup.work_dir, env=env)


def run_id_of(output: str) -> str:
    return next(line.split()[-1] for line in output.splitlines() if line.startswith("run id:"))
