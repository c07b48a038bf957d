"""The compiled Kubeflow spec: valid pipeline-spec protos, every component with the right DAG
dependencies, image and runtime parameters."""

import json

import pytest
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from pipeline import cli

IMAGE = "registry.example/tfx-multimodal:test"
DATA_ROOT = "gs://bucket/data"


def cluster_config(folder, **settings):
    """A config file whose spec can run on a cluster (its pipeline root in a bucket)."""
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"kubeflow_pipeline_root": "gs://bucket/root", **settings}))
    return str(config)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kfp")
    path = folder / "pipeline.json"
    assert cli.main(["compile", "--config", cluster_config(folder), "--target", "kubeflow",
                     "--image", IMAGE, "--output", str(path), "--train-steps", "777",
                     "--data-root", DATA_ROOT]) == 0
    with open(path) as handle:
        job = json.load(handle)
    spec = json_format.ParseDict(job["pipelineSpec"], pipeline_spec_pb2.PipelineSpec())
    return job, spec


def test_every_component_with_its_dependencies(compiled):
    _, spec = compiled
    tasks = spec.root.dag.tasks
    depends = {name: set(task.dependent_tasks) for name, task in tasks.items()}
    assert {"CsvImageExampleGen", "ImportSchemaGen", "StatisticsGen", "ExampleValidator",
            "DataGate", "Transform", "Trainer", "Evaluator", "Pusher"} <= set(tasks)
    assert depends["StatisticsGen"] == {"CsvImageExampleGen", "ImportSchemaGen"}
    assert depends["DataGate"] == {"ExampleValidator", "ImportSchemaGen", "StatisticsGen"}
    assert depends["Transform"] == {"CsvImageExampleGen", "DataGate"}
    assert depends["Trainer"] == {"DataGate", "Transform"}
    assert {"Trainer", "CsvImageExampleGen"} <= depends["Evaluator"]
    assert depends["Pusher"] == {"Evaluator", "Trainer"}


def test_image_and_code_paths(compiled):
    job, _ = compiled
    executors = job["pipelineSpec"]["deploymentSpec"]["executors"]
    images = {e["container"]["image"] for e in executors.values() if "container" in e}
    assert images == {IMAGE}
    text = json.dumps(job)
    assert "components.trainer.run.run_fn" in text
    assert "components.transform.preprocessing.preprocessing_fn" in text
    assert "/tfx-multimodal/schemas/digits/schema.pbtxt" in text
    assert '"base_directory": "gs://bucket/root/serving_model"' in text.replace('\\"', '"')


def test_data_components_run_beam_in_their_container_without_a_tfx_sdist(compiled):
    """The default Beam arguments tell TFX that the workers already hold the environment (the
    task's container), so its executors do not build an sdist of TFX before each Beam job."""
    from tfx.utils import dependency_utils

    job, _ = compiled
    executors = job["pipelineSpec"]["deploymentSpec"]["executors"]
    beam_args = {name: [a for a in e["container"]["args"] if a.startswith("--direct_")
                        or a.startswith("--sdk_container_image")]
                 for name, e in executors.items() if "container" in e}
    expected = ["--direct_running_mode=multi_processing", "--direct_num_workers=0",
                "--sdk_container_image=local-environment"]
    for name in ("CsvImageExampleGen_executor", "StatisticsGen_executor", "Transform_executor",
                 "Evaluator_executor"):
        assert beam_args[name] == expected, name
    assert dependency_utils.make_beam_dependency_flags(expected) == expected


def test_spec_2_1_by_default_with_typed_parameters(compiled):
    job, spec = compiled
    assert spec.schema_version == "2.1.0"
    assert {name: parameter.parameter_type
            for name, parameter in spec.root.input_definitions.parameters.items()} == dict.fromkeys(
        ["data-root", "train-args", "trainer-config", "eval-config"],
        pipeline_spec_pb2.ParameterType.STRING)
    # each task is told the types of its inputs, so it reads them from parameterValues
    for executor in job["pipelineSpec"]["deploymentSpec"]["executors"].values():
        if "container" in executor:
            assert "--json_serialized_inputs_spec_args" in executor["container"]["args"]


def test_spec_2_0_on_request(tmp_path):
    path = tmp_path / "pipeline.json"
    assert cli.main(["compile", "--config", cluster_config(tmp_path), "--target", "kubeflow",
                     "--image", IMAGE, "--output", str(path), "--spec", "2.0", "--data-root",
                     DATA_ROOT]) == 0
    job = json.loads(path.read_text())
    assert job["pipelineSpec"]["schemaVersion"] == "2.0.0"
    assert job["runtimeConfig"]["parameters"]["data-root"] == {"stringValue": DATA_ROOT}


def test_runtime_parameters(compiled):
    job, spec = compiled
    assert set(spec.root.input_definitions.parameters) == {
        "data-root", "train-args", "trainer-config", "eval-config"}
    values = job["runtimeConfig"]["parameterValues"]  # the config's, overridable per run
    assert json.loads(values["train-args"]) == {"num_steps": 777}
    assert values["data-root"] == DATA_ROOT
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://bucket/root"
    assert json.loads(values["trainer-config"])["learning_rate"] == 0.003
    eval_config = json.loads(values["eval-config"])
    [rmse] = [m for m in eval_config["metricsSpecs"][0]["metrics"]
              if m["className"] == "RootMeanSquaredError"]
    assert rmse["threshold"]["valueThreshold"]["upperBound"] == 1.0
    trainer_inputs = spec.root.dag.tasks["Trainer"].inputs.parameters
    assert trainer_inputs["train_args"].component_input_parameter == "train-args"
    assert trainer_inputs["custom_config"].component_input_parameter == "trainer-config"
    evaluator_inputs = spec.root.dag.tasks["Evaluator"].inputs.parameters
    assert evaluator_inputs["eval_config"].component_input_parameter == "eval-config"
    example_gen_inputs = spec.root.dag.tasks["CsvImageExampleGen"].inputs.parameters
    assert example_gen_inputs["input_base"].component_input_parameter == "data-root"

