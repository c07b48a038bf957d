"""Scheduled retraining end to end: three data drops arrive one after another, each picked up by
a scheduler tick (the first by a `schedule` process sent SIGTERM during its run, which finishes
the run and exits 0); a worse model is evaluated but not pushed; a tick with no new data is
skipped."""

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

import schemas
from components.trainer.run import TRAINING_RECORD
from pipeline import cli
from pipeline.datasets import demo_data
from pipeline.config import load_config
from pipeline.reporting.summary import summarize_latest_run

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(schemas.SCHEMAS_DIR)  # the repository


def drop_span(data_root, features, span, label_shift=0.0):
    """A new data drop, pre-split so that a label shift can hit the training rows only."""
    demo_data.generate(str(data_root), features, rows=150, seed=2 * span,
                       subdir=f"span-{span}/train", label_shift=label_shift)
    demo_data.generate(str(data_root), features, rows=50, seed=2 * span + 1,
                       subdir=f"span-{span}/eval")


def trainer_outputs(summary, key):
    return {node.node_id: node for node in summary.nodes}["Trainer"].outputs[key]


def tick(config_path):
    assert cli.main(["schedule", "--cron", "0 3 * * *", "--once", "--config", config_path]) == 0
    return summarize_latest_run(load_config(config_path))


def timezone_with_a_minute_starting_in(seconds: float) -> str:
    """A POSIX TZ whose local minutes start `seconds` from now (offsets may have seconds), so a
    `* * * * *` schedule ticks then instead of at the next wall-clock minute."""
    return "UTC-0:00:%02d" % (int(-(time.time() + seconds)) % 60)


def tick_then_sigterm_during_the_run(config_path):
    """Runs `schedule --cron '* * * * *'` until its first run is under way (Transform has
    started, nothing is pushed yet), sends it SIGTERM, and returns (exit code, stdout, stderr)."""
    config = load_config(config_path)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "pipeline_runner.py", "schedule", "--cron", "* * * * *",
             "--config", config_path], cwd=ROOT, stdout=out, stderr=err, text=True,
            env=dict(os.environ, TZ=timezone_with_a_minute_starting_in(10)))
        deadline = time.monotonic() + 900  # guards against a hang, generous for a busy machine
        while not glob.glob(os.path.join(config.pipeline_root, "Transform", "*", "*")):
            assert process.poll() is None, "the run ended before Transform started"
            assert time.monotonic() < deadline, "Transform did not start within 15 minutes"
            time.sleep(0.2)
        assert not glob.glob(os.path.join(config.serving_dir, "*"))  # the run is under way
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=1800)  # the rest of the run, its report and history page
        out.seek(0)
        err.seek(0)
        return process.returncode, out.read(), err.read()


def test_three_spans_and_a_quiet_tick(tmp_path, digits_features, capsys):
    data_root = tmp_path / "data"
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump({
        "data_root": str(data_root), "output_dir": str(tmp_path / "out"),
        "input_splits": {"train": "span-{SPAN}/train/*.csv", "eval": "span-{SPAN}/eval/*.csv"},
        "train_steps": 150, "eval_steps": 4, "batch_size": 16, "image_height": 16,
        "image_width": 16, "max_eval_rmse": 100.0, "warm_start": True}))
    serving_dir = load_config(str(config_path)).serving_dir

    drop_span(data_root, digits_features, 0)
    code, out, err = tick_then_sigterm_during_the_run(str(config_path))
    assert code == 0, err[-3000:]
    # one wait, one run finished, then the stop: no second wait
    assert err.count("next run at") == 1
    assert err.index("next run at") < err.index("run finished") < err.index("scheduler stopped")
    assert "rows ingested" in out  # the run's summary
    first = summarize_latest_run(load_config(str(config_path)))
    assert first.states == {name: "COMPLETE" for name in first.states}
    assert first.spans == [0] and first.blessed and first.pushed
    assert len(os.listdir(serving_dir)) == 1

    drop_span(data_root, digits_features, 1)
    second = tick(str(config_path))
    assert second.spans == [1]
    [first_model] = trainer_outputs(first, "Model")
    [second_run] = trainer_outputs(second, "ModelRun")
    with open(os.path.join(second_run.uri, TRAINING_RECORD)) as handle:  # from span 0's model
        assert json.load(handle)["warm_started_from"].startswith(first_model.uri)
    assert "root_mean_squared_error_diff" in second.eval_metrics  # compared with span 0's model
    not_worse = second.eval_metrics["root_mean_squared_error_diff"] <= 0
    assert second.blessed == not_worse and second.pushed == not_worse
    pushed_versions = sorted(os.listdir(serving_dir))
    assert len(pushed_versions) == (2 if not_worse else 1)

    drop_span(data_root, digits_features, 2, label_shift=8.0)  # training labels shifted
    third = tick(str(config_path))
    assert third.spans == [2]
    assert third.states["Evaluator"] == "COMPLETE"
    assert third.eval_metrics["root_mean_squared_error_diff"] > 1.0
    assert third.blessed is False and third.pushed is False
    assert sorted(os.listdir(serving_dir)) == pushed_versions

    capsys.readouterr()
    quiet = tick(str(config_path))
    assert quiet.run_id == third.run_id  # nothing ran, nothing new in the metadata store
    assert f"Nothing changed since run {third.run_id} " in capsys.readouterr().out
    assert sorted(os.listdir(serving_dir)) == pushed_versions

    capsys.readouterr()
    assert cli.main(["runs", "--config", str(config_path)]) == 0
    history = capsys.readouterr().out.splitlines()
    assert len(history) == 2 + 3
    assert [line.split()[1] for line in history[2:]] == ["0", "1", "2"]
    assert history[-1].split()[-2:] == ["no", "no"]  # span 2: not blessed, not pushed


def test_span_window_trains_on_the_newest_spans(tmp_path, digits_features):
    data_root = tmp_path / "data"
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump({
        "data_root": str(data_root), "output_dir": str(tmp_path / "out"),
        "input_pattern": "span-{SPAN}/*.csv", "span_window": 2, "train_steps": 20,
        "eval_steps": 2, "batch_size": 16, "image_height": 12, "image_width": 12,
        "max_eval_rmse": 100.0}))
    for span in range(3):
        demo_data.generate(str(data_root), digits_features, rows=40, seed=span,
                           subdir=f"span-{span}")
        summary = tick(str(config_path))
    nodes = {node.node_id: node for node in summary.nodes}
    window = nodes["span_window_resolver"]
    assert summary.spans == [1, 2]  # the spans Transform read: the run ingested span 2
    assert window.state == "COMPLETE"
