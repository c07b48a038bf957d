"""End to end on a small slice of the demo data: every component runs, the pushed model serves
raw serialized examples, and a second run comes entirely from cache."""

import glob
import os

import numpy as np
import pytest
import tensorflow as tf
import yaml

from pipeline import cli
from pipeline.datasets import demo_data
from pipeline.config import load_config
from pipeline.reporting.summary import summarize_latest_run

pytestmark = pytest.mark.slow

COMPONENTS = ["CsvImageExampleGen", "ImportSchemaGen", "StatisticsGen", "ExampleValidator",
              "DataGate",
              "Transform", "Trainer", "Evaluator", "Pusher"]
RESOLVERS = ["previous_span_statistics_resolver", "baseline_model_resolver"]


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, digits_features):
    """Runs the pipeline twice through the CLI on 150 demo rows; yields (config, outputs)."""
    root = tmp_path_factory.mktemp("e2e")
    data_root = root / "data"
    demo_data.generate(str(data_root), digits_features, rows=150)
    config_path = root / "config.yaml"
    config_path.write_text(yaml.safe_dump({
        "data_root": str(data_root), "output_dir": str(root / "out"), "train_steps": 60,
        "eval_steps": 5, "batch_size": 16, "image_height": 16, "image_width": 16,
        "max_eval_rmse": 100.0}))
    config = load_config(str(config_path))
    printed = []
    for _ in range(2):
        assert cli.main(["run", "--config", str(config_path)]) == 0
        printed.append(summarize_latest_run(config))
    return config, printed


def test_first_run_executes_every_component(pipeline_run):
    _, (first, _) = pipeline_run
    assert first.states == {name: "COMPLETE" for name in COMPONENTS + RESOLVERS}
    assert (first.rows_read, first.rows_ingested, first.rows_quarantined) == (150, 150, 0)
    assert first.anomalies == []
    assert first.eval_metrics["example_count"] > 0
    assert np.isfinite(first.eval_metrics["root_mean_squared_error"])
    assert first.mean_predictor_rmse > 1.0
    assert first.blessed and first.pushed
    assert "rows ingested" in first.render() and "pushed" in first.render()


def test_second_run_comes_entirely_from_cache(pipeline_run):
    config, (first, second) = pipeline_run
    assert second.run_id != first.run_id
    assert {name: second.states[name] for name in COMPONENTS} == {n: "CACHED" for n in COMPONENTS}
    assert len(os.listdir(config.serving_dir)) == 1  # nothing pushed twice


def test_pushed_model_predicts_on_raw_serialized_examples(pipeline_run, make_raw_examples):
    config, (first, _) = pipeline_run
    features = config.features()
    [pushed_dir] = glob.glob(os.path.join(config.serving_dir, "*"))
    assert first.pushed_to == pushed_dir
    loaded = tf.saved_model.load(pushed_dir)
    assert set(loaded.signatures) == {"serving_default", "transform_features"}

    examples, _ = make_raw_examples(config.data_root, features, with_label=False)
    predictions = loaded.signatures["serving_default"](examples=examples)["prediction"].numpy()
    assert predictions.shape == (12, 1)
    assert np.all(np.isfinite(predictions))
    assert predictions.std() > 0.0  # depends on the inputs

    labelled, labels = make_raw_examples(config.data_root, features, with_label=True)
    transformed = loaded.signatures["transform_features"](examples=labelled)
    assert transformed["image"].shape == (12, 16, 16, 1)
    np.testing.assert_allclose(transformed[features.label.name].numpy().ravel(), labels,
                               rtol=1e-6)


def records(uri, split):
    files = glob.glob(os.path.join(uri, f"Split-{split}", "*.gz"))
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def test_no_training_serving_skew(pipeline_run):
    """Serving on raw examples == the model on the Transform output it was trained on."""
    import tensorflow_transform as tft

    config, (first, _) = pipeline_run
    label = config.features().label.name
    nodes = {node.node_id: node for node in first.nodes}
    raw_uri = nodes["CsvImageExampleGen"].outputs["Examples"][0].uri
    transformed_uri = nodes["Transform"].outputs["Examples"][0].uri
    graph_uri = nodes["Transform"].outputs["TransformGraph"][0].uri
    spec = tft.TFTransformOutput(graph_uri).transformed_feature_spec()

    transformed = tf.io.parse_example(records(transformed_uri, "eval"), spec)
    by_label = {float(v): i for i, v in enumerate(transformed[label].numpy().ravel())}
    raw = records(raw_uri, "eval")
    raw_labels = tf.io.parse_example(raw, {label: tf.io.FixedLenFeature([1], tf.float32)})[label]
    order = [by_label[float(v)] for v in raw_labels.numpy().ravel()]
    assert len(order) == len(raw) > 10

    loaded = tf.saved_model.load(glob.glob(os.path.join(config.serving_dir, "*"))[0])
    served = loaded.signatures["serving_default"](examples=tf.constant(raw))["prediction"]
    inputs = {f.name: tf.gather(transformed[f.name], order) for f in config.features().inputs}
    trained_on = loaded.model(inputs, training=False)
    assert np.max(np.abs(served.numpy() - trained_on.numpy())) < 1e-5


def test_report_renders_in_a_real_browser(pipeline_run, tmp_path):
    """Every run writes a self-contained report.html; headless Chromium renders its sections."""
    import shutil
    import subprocess

    config, _ = pipeline_run
    reports = glob.glob(os.path.join(config.output_dir, "reports", "*", "report.html"))
    assert len(reports) == 2  # one per run
    first = sorted(reports)[0]
    page = open(first, encoding="utf-8").read()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page  # nothing fetched from the network

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed (scripts/dev test installs it)"
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         f"file://{first}"], capture_output=True, text=True, timeout=120)
    dom = result.stdout
    for section in ("summary", "statistics", "anomalies", "training", "evaluation", "push",
                    "lineage"):
        assert f'<section id="{section}">' in dom, section
    assert "<polyline" in dom and "train_loss" in dom  # the training curves
    assert "root_mean_squared_error" in dom and "CsvImageExampleGen" in dom
