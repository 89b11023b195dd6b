"""The launcher: the image's environment, the project's interpreter, the cause of a failure."""
import os
import re
import sys

import pytest

from kubeflow.local_backend import launcher
from pipeline.paths import PROJECT_ROOT


def test_tasks_see_the_environment_the_image_sets():
    with open(os.path.join(PROJECT_ROOT, "kubeflow", "Dockerfile")) as handle:
        dockerfile = handle.read()
    env_block = re.search(r"^ENV (.+?)(?=^\S)", dockerfile, re.M | re.S)[1]
    image_env = dict(re.findall(r"(\w+)=(\S+)", env_block))
    for name, value in launcher.IMAGE_ENV.items():
        assert image_env.get(name) == value


def test_python_entrypoint_becomes_the_projects_interpreter():
    environment = launcher.environment(sys.executable, PROJECT_ROOT)
    argv = environment.command(["python", "-m", "tfx.x"], ["--args", "{{$}}"],
                               {"inputs": {}, "outputs": {"artifacts": {}}})
    assert argv[:3] == [sys.executable, "-m", "tfx.x"]
    assert argv[4] == '{"inputs":{},"outputs":{"artifacts":{}}}'


def test_failed_process_is_named_with_its_last_exception(tmp_path):
    environment = launcher.environment(sys.executable, str(tmp_path))
    code = "import sys; print('working'); raise FileNotFoundError('no input file matches /x')"
    with pytest.raises(launcher.TaskFailed) as caught:
        launcher.run_process("Gen", "executor", [sys.executable, "-c", code], environment,
                             str(tmp_path))
    assert str(caught.value) == (
        "task Gen failed: executor exited 1: FileNotFoundError: no input file matches /x "
        f"(log: {tmp_path}/executor.log)")
