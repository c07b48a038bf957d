"""The Trainer under faults and at scale: a killed training run resumes from its checkpoint, and
two worker processes train one model with MultiWorkerMirroredStrategy: identical weights on
both, and a falling eval loss."""

import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import tensorflow as tf
import yaml

import schemas
from components.trainer.run import TRAINING_RECORD, TrainerSettings
from pipeline import cli
from pipeline.datasets import demo_data
from pipeline.config import load_config
from pipeline.reporting.summary import summarize_latest_run

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(schemas.SCHEMAS_DIR)  # the repository


def write_config(root, name, **values):
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "data_root": str(root / "data"), "output_dir": str(root / "out"), "eval_steps": 4,
        "batch_size": 16, "image_height": 16, "image_width": 16, "max_eval_rmse": 100.0,
        **values}))
    return str(path)


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory, digits_features):
    root = tmp_path_factory.mktemp("trainer_e2e")
    demo_data.generate(str(root / "data"), digits_features, rows=150)
    assert cli.main(["run", "--config", write_config(root, "base", train_steps=50)]) == 0
    return root


def latest_training_record(config):
    summary = summarize_latest_run(config)
    [run] = {node.node_id: node for node in summary.nodes}["Trainer"].outputs["ModelRun"]
    with open(os.path.join(run.uri, TRAINING_RECORD)) as handle:
        return summary, json.load(handle)


RESUME_STEPS = 600
STRICT_RMSE_BOUND = 0.01  # far below what any model reaches on this data


@pytest.fixture(scope="module")
def uninterrupted_strict_run(pipeline_dir):
    """A run training RESUME_STEPS steps without checkpoints (the killed run's comparison),
    evaluated against a bound on eval RMSE that it cannot meet. Returns (summary, training
    record, pushed model versions before the run, after it)."""
    config_path = write_config(pipeline_dir, "straight", train_steps=RESUME_STEPS,
                               checkpoint_every=0, max_eval_rmse=STRICT_RMSE_BOUND)
    config = load_config(config_path)
    before = sorted(os.listdir(config.serving_dir))
    assert cli.main(["run", "--config", config_path]) == 0
    summary, record = latest_training_record(config)
    return summary, record, before, sorted(os.listdir(config.serving_dir))


def test_killed_trainer_resumes_from_its_checkpoint(pipeline_dir, uninterrupted_strict_run):
    config_path = write_config(pipeline_dir, "long", train_steps=RESUME_STEPS,
                               checkpoint_every=50)
    checkpoints = os.path.join(load_config(config_path).pipeline_root, "Trainer", "checkpoints")
    process = subprocess.Popen([sys.executable, "pipeline_runner.py", "run", "--config",
                                config_path], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not glob.glob(os.path.join(checkpoints, "*", "ckpt-*.index")):
        assert process.poll() is None, "the pipeline ended before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint within 5 minutes"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    assert cli.main(["run", "--config", config_path]) == 0
    summary, record = latest_training_record(load_config(config_path))
    assert summary.states["Trainer"] == "COMPLETE"
    assert 50 <= record["resumed_from_step"] < RESUME_STEPS
    assert record["final_step"] == RESUME_STEPS
    assert not glob.glob(os.path.join(checkpoints, "*", "ckpt-*"))  # cleaned up when done

    # the same job without the interruption (checkpoint_every differs, so it is not cached)
    _, straight, _, _ = uninterrupted_strict_run
    resumed_loss = record["history"][-1]["eval_loss"]
    straight_loss = straight["history"][-1]["eval_loss"]
    assert resumed_loss < 1.5 * straight_loss + 0.2


def test_a_model_over_its_rmse_bound_is_evaluated_not_blessed_not_pushed(
        uninterrupted_strict_run):
    summary, record, pushed_before, pushed_after = uninterrupted_strict_run
    assert record["final_step"] == RESUME_STEPS
    assert summary.states["Trainer"] == summary.states["Evaluator"] == "COMPLETE"
    assert summary.eval_metrics["root_mean_squared_error"] > STRICT_RMSE_BOUND
    assert summary.blessed is False and summary.pushed is False
    assert len(pushed_before) == 1 and pushed_after == pushed_before  # the base run's model


def saved_variables(saved_model_dir):
    """Variable name -> value of an exported SavedModel."""
    reader = tf.train.load_checkpoint(os.path.join(saved_model_dir, "variables", "variables"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if name != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def test_two_workers_train_one_model_that_learns(pipeline_dir, digits_features, tmp_path):
    """Both workers export (the second to a temporary directory, here its own TMPDIR); their
    weights must be identical, and the eval loss must fall over the run. With no memory cache
    for the reader, each worker stages the training split uncompressed in its TMPDIR and
    deletes the copy when training ends."""
    import numpy as np
    import portpicker

    summary = summarize_latest_run(load_config(write_config(pipeline_dir, "base", train_steps=50)))
    nodes = {node.node_id: node for node in summary.nodes}
    transformed = nodes["Transform"].outputs["Examples"][0].uri
    settings = TrainerSettings(features=digits_features, batch_size=16, learning_rate=3e-3,
                               checkpoint_every=0, distribution="multi_worker", reader_cache_mb=0)
    ports = [portpicker.pick_unused_port() for _ in range(2)]
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    workers = []
    for index in range(2):
        fn_args = {
            "train_files": [os.path.join(transformed, "Split-train", "*")],
            "eval_files": [os.path.join(transformed, "Split-eval", "*")],
            "transform_output": nodes["Transform"].outputs["TransformGraph"][0].uri,
            "serving_model_dir": str(tmp_path / "serving"),
            "model_run_dir": str(tmp_path / "model_run" / "1"),
            "train_steps": 30, "eval_steps": 2, "custom_config": settings.to_dict()}
        worker_tmp = tmp_path / f"worker-{index}-tmp"
        worker_tmp.mkdir()
        env = dict(os.environ, TMPDIR=str(worker_tmp), TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        workers.append(subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "e2e", "multiworker_trainer.py"),
             json.dumps(fn_args)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True))
    for index, worker in enumerate(workers):
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
        worker_tmp = tmp_path / f"worker-{index}-tmp"
        assert re.search(rf"Staged 1 training file\(s\) uncompressed in {worker_tmp}/"
                         r"trainer-staging-\w+: [\d.]+ MB in [\d.]+ s", err), err[-3000:]
        assert not glob.glob(str(worker_tmp / "trainer-staging-*"))

    loaded = tf.saved_model.load(str(tmp_path / "serving"))  # the chief's, in the real place
    assert set(loaded.signatures) == {"serving_default", "transform_features"}
    [second] = glob.glob(str(tmp_path / "worker-1-tmp" / "*" / "saved_model.pb"))
    chief_weights = saved_variables(str(tmp_path / "serving"))
    second_weights = saved_variables(os.path.dirname(second))
    assert sorted(second_weights) == sorted(chief_weights) and len(chief_weights) > 4
    for name, value in chief_weights.items():
        np.testing.assert_array_equal(second_weights[name], value, err_msg=name)

    with open(tmp_path / "model_run" / "1" / TRAINING_RECORD) as handle:
        record = json.load(handle)
    assert record["final_step"] == 30
    assert [r["step"] for r in record["history"]] == list(range(3, 31, 3))
    assert record["history"][-1]["eval_loss"] < record["history"][0]["eval_loss"]
