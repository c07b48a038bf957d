"""Every task of the compiled Kubeflow pipeline runs in the project's image, in DAG order, as
KFP runs it (kfp_launcher.py): each exits 0, the artifacts land in the mounted pipeline root,
the pushed model serves raw examples, and a second run's Evaluator gets the first run's blessed
model from the baseline resolver. Builds the image first (scripts/build-image, cached); skips,
with the reason, only where no container engine can start."""

import os
import subprocess

import numpy as np
import pytest
import tensorflow as tf
import yaml

import schemas
from kfp_launcher import Launcher, metadata
from pipeline import cli
from pipeline.datasets import demo_data
from pipeline.assembly import DATA_GATE_CODE
from pipeline.fingerprint import code_fingerprint, file_fingerprint

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESOLVER = "baseline_model_resolver-model-resolver"
DAG_ORDER = ["CsvImageExampleGen", "ImportSchemaGen",
             "baseline_model_resolver-model-blessing-resolver", "StatisticsGen", RESOLVER,
             "ExampleValidator", "DataGate", "Transform", "Trainer", "Evaluator", "Pusher"]


@pytest.fixture(scope="module")
def image():
    engine = subprocess.run([os.path.join(REPO, "scripts", "container-engine")],
                            capture_output=True, text=True)
    if engine.returncode == 2:
        pytest.skip(engine.stderr.strip().splitlines()[-1])
    assert engine.returncode == 0, engine.stderr
    build = subprocess.run([os.path.join(REPO, "scripts", "build-image")], capture_output=True,
                           text=True, timeout=3600)
    assert build.returncode == 0, build.stderr[-3000:]
    return build.stdout.strip()


@pytest.fixture(scope="module")
def runs(image, tmp_path_factory, digits_features):
    """(data root, pipeline root, first run, second run) of the compiled pipeline."""
    work = tmp_path_factory.mktemp("kfp")
    data, root = work / "data", work / "root"
    demo_data.generate(str(data), digits_features, rows=60)
    root.mkdir()
    config = work / "config.yaml"
    config.write_text(yaml.safe_dump({
        "pipeline_name": "containers", "data_root": str(data),
        "kubeflow_pipeline_root": str(root), "train_steps": 20, "eval_steps": 2,
        "batch_size": 16, "image_height": 16, "image_width": 16, "max_eval_rmse": 100.0,
        "kubeflow_beam_args": ["--direct_running_mode=in_memory", "--direct_num_workers=1",
                               "--sdk_container_image=local-environment"]}))
    job = str(work / "pipeline.json")
    assert cli.main(["compile", "--config", str(config), "--target", "kubeflow", "--image",
                     image, "--output", job, "--allow-local-paths"]) == 0
    launcher = Launcher(str(root), mounts=[str(data)])
    return str(data), str(root), launcher.run(job, "run-1"), launcher.run(job, "run-2")


def only(task_run, key):
    [artifact] = task_run.outputs[key]
    return artifact


def test_every_task_ran_in_dag_order_on_parameter_values(runs):
    data, _, first, second = runs
    assert list(first) == list(second) == DAG_ORDER
    containers = {name: task.executor_input.inputs for name, task in first.items()
                  if task.executor_input is not None}  # resolvers run no container
    assert sorted(containers) == sorted(set(DAG_ORDER) - {
        RESOLVER, "baseline_model_resolver-model-blessing-resolver"})
    assert all(len(inputs.parameters) == 0 for inputs in containers.values())  # no legacy form
    values = {name: {key: value.WhichOneof("kind") and getattr(value, value.WhichOneof("kind"))
                     for key, value in inputs.parameter_values.items()}
              for name, inputs in containers.items()}
    assert values["CsvImageExampleGen"]["input_base"] == data
    assert values["ImportSchemaGen"] == {
        "schema_file": "/tfx-multimodal/schemas/digits/schema.pbtxt",
        "schema_fingerprint": file_fingerprint(schemas.dataset_schema_path("digits"))}
    assert values["Trainer"]["train_args"] == '{"num_steps": 20}'
    assert values["DataGate"] == {"code_fingerprint": code_fingerprint(DATA_GATE_CODE)}


def test_expected_artifacts_exist(runs):
    data, root, first, _ = runs
    examples = only(first["CsvImageExampleGen"], "examples")
    assert metadata(examples)["split_names"] == '["train", "eval"]'
    assert metadata(examples)["rows_ingested"] == 60
    for split in ("train", "eval"):
        assert os.listdir(os.path.join(examples.uri, f"Split-{split}"))
    assert os.path.isfile(os.path.join(only(first["DataGate"], "validated_schema").uri,
                                       "schema.pbtxt"))
    assert os.path.isfile(os.path.join(only(first["Transform"], "transform_graph").uri,
                                       "transform_fn", "saved_model.pb"))
    model = only(first["Trainer"], "model")
    assert os.path.isfile(os.path.join(model.uri, "Format-Serving", "saved_model.pb"))
    blessing = only(first["Evaluator"], "blessing")
    assert metadata(blessing)["blessed"] == 1
    assert os.path.isfile(os.path.join(blessing.uri, "BLESSED"))
    pushed = only(first["Pusher"], "pushed_model")
    assert metadata(pushed)["pushed"] == 1
    assert os.path.dirname(metadata(pushed)["pushed_destination"]) == os.path.join(
        root, "serving_model")


def test_pushed_model_serves_a_raw_example(runs, digits_features, make_raw_examples):
    data, _, first, _ = runs
    served = tf.saved_model.load(metadata(only(first["Pusher"], "pushed_model"))
                                 ["pushed_destination"])
    examples, _ = make_raw_examples(data, digits_features, with_label=False, count=1)
    prediction = served.signatures["serving_default"](examples=examples)["prediction"].numpy()
    assert prediction.shape == (1, 1) and np.isfinite(prediction).all()


def test_second_run_evaluates_against_the_first_runs_blessed_model(runs):
    _, _, first, second = runs
    first_model = only(first["Trainer"], "model")
    assert first["Evaluator"].inputs["baseline_model"] == []  # nothing blessed before run 1
    assert second[RESOLVER].outputs["model"] == [first_model]
    assert second["Evaluator"].inputs["baseline_model"] == [first_model]
    blessing = metadata(only(second["Evaluator"], "blessing"))
    assert blessing["baseline_model_id"] == first_model.name == "run-1/Trainer/model"
    assert blessing["baseline_model"] == first_model.uri
    assert blessing["current_model_id"] == "run-2/Trainer/model"
