"""The driver's ExecutorInput on a small hand-written spec: placeholders, types, output layout."""
import pytest

from kubeflow.local_backend import driver, spec

SPEC = {
    "pipelineInfo": {"name": "tiny"},
    "schemaVersion": "2.1.0",
    "root": {"inputDefinitions": {"parameters": {
        "data_root": {"parameterType": "STRING", "defaultValue": "/data", "isOptional": True}}},
        "dag": {"tasks": {
            "Trainer": {"componentRef": {"name": "Trainer"}, "taskInfo": {"name": "Trainer"},
                        "dependentTasks": ["Gen"], "inputs": {
                            "artifacts": {"examples": {"taskOutputArtifact": {
                                "producerTask": "Gen", "outputArtifactKey": "examples"}}},
                            "parameters": {
                                "run": {"runtimeValue": {"constant": "{{$.pipeline_job_uuid}}"}},
                                "steps": {"runtimeValue": {"constant": 5.0}}}}},
            "Gen": {"componentRef": {"name": "Gen"}, "taskInfo": {"name": "Gen"}, "inputs": {
                "parameters": {"input_base": {"componentInputParameter": "data_root"}}}}}}},
    "components": {
        "Gen": {"executorLabel": "Gen_executor",
                "inputDefinitions": {"parameters": {"input_base": {"parameterType": "STRING"}}},
                "outputDefinitions": {"artifacts": {"examples": {"artifactType": {
                    "instanceSchema": "title: tfx.Examples\ntype: object\n"}}}}},
        "Trainer": {"executorLabel": "Trainer_executor", "inputDefinitions": {
            "artifacts": {"examples": {"artifactType": {
                "instanceSchema": "title: tfx.Examples\ntype: object\n"}}},
            "parameters": {"run": {"parameterType": "STRING"},
                           "steps": {"parameterType": "NUMBER_INTEGER"}}}}},
    "deploymentSpec": {"executors": {
        "Gen_executor": {"container": {"image": "x", "command": ["python", "-m", "gen"],
                                       "args": ["--json", "{{$}}"]}},
        "Trainer_executor": {"container": {"image": "x", "command": ["python"]}}}},
}


class Produced:
    parameters = {}
    outputs = {"examples": [{"name": "12", "uri": "/root/tiny/r1/Gen/examples",
                             "metadata": {"span": 0.0}}]}


def _run(mode=driver.VERTEX, **parameters):
    pipeline = spec.parse(SPEC)
    return pipeline, driver.RunContext("tiny", "/root", "r1", "tiny-job", "2026-11-30T00:00:00Z",
                                       pipeline.parameters(parameters), mode)


def test_tasks_in_dependency_order_and_parameters_from_runtime_config():
    pipeline, run = _run(data_root="/elsewhere")
    assert [t.name for t in pipeline.tasks] == ["Gen", "Trainer"]
    document = driver.executor_input(pipeline.task("Gen"), run, {})
    assert document["inputs"]["parameterValues"] == {"input_base": "/elsewhere"}
    assert document["outputs"]["artifacts"]["examples"]["artifacts"][0]["uri"] == \
        "/root/tiny/r1/Gen/examples"
    assert document["outputs"]["outputFile"] == "/root/tiny/r1/Gen/executor_output.json"


def test_run_placeholder_filled_and_input_typed_only_in_vertex_mode():
    pipeline, run = _run()
    document = driver.executor_input(pipeline.task("Trainer"), run, {"Gen": Produced})
    assert document["inputs"]["parameterValues"] == {"run": "r1", "steps": 5.0}
    [examples] = document["inputs"]["artifacts"]["examples"]["artifacts"]
    assert examples["name"] == "12" and examples["type"]["instanceSchema"].startswith(
        "title: tfx.Examples")
    pipeline, run = _run(driver.OPEN_SOURCE)
    document = driver.executor_input(pipeline.task("Trainer"), run, {"Gen": Produced})
    assert "type" not in document["inputs"]["artifacts"]["examples"]["artifacts"][0]


def test_whole_executor_input_replaces_the_placeholder_in_args():
    pipeline, run = _run()
    document = driver.executor_input(pipeline.task("Gen"), run, {})
    filled = driver.fill_placeholders("{{$}}", document)
    assert filled.startswith('{"inputs":') and '"/root/tiny/r1/Gen/examples"' in filled


def test_bad_parameters_are_named():
    with pytest.raises(spec.SpecError, match="unknown pipeline parameters \\['dataroot'\\]"):
        _run(dataroot="/x")
    pipeline, run = _run(data_root="/x")
    broken = pipeline.task("Trainer")
    broken.spec["inputs"]["parameters"]["steps"] = {"runtimeValue": {"constant": "five"}}
    try:
        with pytest.raises(driver.InputError, match="'steps' type mismatch: expect NUMBER_INTEGER"):
            driver.executor_input(broken, run, {"Gen": Produced})
    finally:
        broken.spec["inputs"]["parameters"]["steps"] = {"runtimeValue": {"constant": 5.0}}


def test_spec_that_kfp_protos_refuse_is_a_spec_error():
    with pytest.raises(spec.SpecError, match="not a valid PipelineSpec"):
        spec.parse({**SPEC, "unexpected": 1})
