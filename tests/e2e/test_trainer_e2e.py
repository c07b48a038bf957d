"""The Trainer under faults and at scale: a killed training run resumes from its checkpoint, and
two worker processes train one model with MultiWorkerMirroredStrategy."""

import glob
import json
import os
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


def test_killed_trainer_resumes_from_its_checkpoint(pipeline_dir):
    steps = 600
    config_path = write_config(pipeline_dir, "long", train_steps=steps, checkpoint_every=50)
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
    assert 50 <= record["resumed_from_step"] < steps
    assert record["final_step"] == steps
    assert not glob.glob(os.path.join(checkpoints, "*", "ckpt-*"))  # cleaned up when done

    # the same job without the interruption (checkpoint_every differs, so it is not cached)
    uninterrupted_path = write_config(pipeline_dir, "straight", train_steps=steps,
                                      checkpoint_every=0)
    assert cli.main(["run", "--config", uninterrupted_path]) == 0
    _, straight = latest_training_record(load_config(uninterrupted_path))
    resumed_loss = record["history"][-1]["eval_loss"]
    straight_loss = straight["history"][-1]["eval_loss"]
    assert resumed_loss < 1.5 * straight_loss + 0.2


def test_two_workers_train_and_export_one_model(pipeline_dir, digits_features, tmp_path):
    import portpicker

    summary = summarize_latest_run(load_config(write_config(pipeline_dir, "base", train_steps=50)))
    nodes = {node.node_id: node for node in summary.nodes}
    transformed = nodes["Transform"].outputs["Examples"][0].uri
    settings = TrainerSettings(features=digits_features, batch_size=16, learning_rate=3e-3,
                               checkpoint_every=0, distribution="multi_worker")
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
        env = dict(os.environ, TF_CONFIG=json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        workers.append(subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests", "e2e", "multiworker_trainer.py"),
             json.dumps(fn_args)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True))
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]

    loaded = tf.saved_model.load(str(tmp_path / "serving"))
    assert set(loaded.signatures) == {"serving_default", "transform_features"}
    with open(tmp_path / "model_run" / "1" / TRAINING_RECORD) as handle:
        assert json.load(handle)["final_step"] == 30
