"""End to end on a small slice of the demo data: every component runs, the pushed model serves
raw serialized examples; a second run with nothing changed is skipped before any heavy import
(checked in a fresh process), and runs with `--recheck` come entirely from TFX's cache without
importing cloud clients."""

import contextlib
import glob
import io
import os
import subprocess
import sys
import types

import numpy as np
import pytest
import tensorflow as tf
import yaml

import schemas
from pipeline import cli
from pipeline.datasets import demo_data
from pipeline.config import load_config
from pipeline.reporting.report import report_dir
from pipeline.reporting.summary import summarize_latest_run

pytestmark = pytest.mark.slow

COMPONENTS = ["CsvImageExampleGen", "ImportSchemaGen", "StatisticsGen", "ExampleValidator",
              "DataGate",
              "Transform", "Trainer", "Evaluator", "Pusher"]
RESOLVERS = ["previous_span_statistics_resolver", "baseline_model_resolver"]
HEAVY = ("tensorflow", "apache_beam", "tfx", "google.cloud.aiplatform")


def run_in_this_process(config_path, *flags):
    """`run` through the CLI here: its stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["run", "--config", str(config_path), *flags]) == 0
    return out.getvalue()


def run_in_a_fresh_process(config_path, *flags):
    """`run` in a new interpreter: its stdout lines, the last one its exit code and which of
    HEAVY it imported."""
    script = "\n".join([
        "import sys",
        "from pipeline import cli",
        f"code = cli.main(['run', '--config', {str(config_path)!r}, *{list(flags)!r}])",
        f"print(code, sorted({{h for h in {HEAVY!r} for m in list(sys.modules)",
        "                     if m == h or m.startswith(h + '.')}))"])
    done = subprocess.run([sys.executable, "-c", script], cwd=os.path.dirname(schemas.SCHEMAS_DIR),
                          capture_output=True, text=True, timeout=900)
    assert done.stdout.strip(), done.stderr[-2000:]
    return done.stdout.strip().splitlines()


def run_with_stdout_closed(config_path, *flags):
    """`run` in a new interpreter whose standard output's reader left before it printed (`run |
    head -0`): its exit status."""
    process = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(schemas.SCHEMAS_DIR), "pipeline_runner.py"),
         "run", "--config", str(config_path), *flags], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, cwd=os.path.dirname(schemas.SCHEMAS_DIR))
    process.stdout.close()
    return process.wait(timeout=900)


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, digits_features):
    """Runs the pipeline on 150 demo rows: once, again with nothing changed (skipped), then with
    --recheck here and in a fresh process, plainly in a fresh process, with --recheck into a
    closed pipe, and plainly here; what each showed."""
    root = tmp_path_factory.mktemp("e2e")
    data_root = root / "data"
    demo_data.generate(str(data_root), digits_features, rows=150)
    config_path = root / "config.yaml"
    config_path.write_text(yaml.safe_dump({
        "data_root": str(data_root), "output_dir": str(root / "out"), "train_steps": 60,
        "eval_steps": 5, "batch_size": 16, "image_height": 16, "image_width": 16,
        "max_eval_rmse": 100.0}))
    runs = types.SimpleNamespace(config=load_config(str(config_path)))
    run_in_this_process(config_path)
    runs.first = summarize_latest_run(runs.config)
    runs.skipped_stdout = run_in_this_process(config_path)
    runs.after_skip = summarize_latest_run(runs.config)
    run_in_this_process(config_path, "--recheck")
    runs.recheck = summarize_latest_run(runs.config)
    runs.fresh_recheck_stdout = run_in_a_fresh_process(config_path, "--recheck")
    runs.fresh_recheck = summarize_latest_run(runs.config)
    runs.fresh_plain_stdout = run_in_a_fresh_process(config_path)
    runs.latest = summarize_latest_run(runs.config)
    runs.closed_stdout_status = run_with_stdout_closed(config_path, "--recheck")
    runs.closed_stdout = summarize_latest_run(runs.config)
    runs.after_closed_stdout = run_in_this_process(config_path)
    return runs


def test_first_run_executes_every_component(pipeline_run):
    first = pipeline_run.first
    assert first.states == {name: "COMPLETE" for name in COMPONENTS + RESOLVERS}
    transform = next(node for node in first.nodes if node.node_id == "Transform")
    assert sorted(transform.outputs) == ["Examples", "TransformGraph"]  # no unread cache
    assert (first.rows_read, first.rows_ingested, first.rows_quarantined) == (150, 150, 0)
    assert first.anomalies == []
    assert first.eval_metrics["example_count"] > 0
    assert np.isfinite(first.eval_metrics["root_mean_squared_error"])
    assert first.mean_predictor_rmse > 1.0
    assert first.blessed and first.pushed
    assert "rows ingested" in first.render() and "pushed" in first.render()


def test_a_run_with_nothing_changed_is_skipped(pipeline_run):
    config, first, skipped = pipeline_run.config, pipeline_run.first, pipeline_run.skipped_stdout
    assert pipeline_run.after_skip.run_id == first.run_id  # no new run in the metadata store
    assert skipped.startswith(f"Nothing changed since run {first.run_id} (finished ")
    assert f"That run:\nRun {first.run_id}: 9 components, 0 from cache" in skipped
    assert skipped.rstrip().endswith(os.path.join(config.output_dir, "history.html"))


def test_recheck_comes_entirely_from_cache(pipeline_run):
    recheck = pipeline_run.recheck
    assert recheck.run_id != pipeline_run.first.run_id
    assert {name: recheck.states[name] for name in COMPONENTS} == {n: "CACHED" for n in COMPONENTS}
    assert len(os.listdir(pipeline_run.config.serving_dir)) == 1  # nothing pushed twice


def test_a_recheck_imports_no_cloud_clients_and_a_skip_nothing_heavy(pipeline_run):
    """The pipeline imports TFX's modules, not `tfx.v1`, whose `extensions` import the Google
    Cloud AI Platform clients (6-8 s of a cached run); a skipped run imports neither TFX nor
    TensorFlow nor Beam."""
    fresh_recheck = pipeline_run.fresh_recheck
    assert pipeline_run.fresh_recheck_stdout[-1] == "0 ['apache_beam', 'tensorflow', 'tfx']"
    assert fresh_recheck.run_id != pipeline_run.recheck.run_id  # it ran through TFX
    assert ({name: fresh_recheck.states[name] for name in COMPONENTS}
            == {n: "CACHED" for n in COMPONENTS})
    plain = pipeline_run.fresh_plain_stdout
    assert plain[-1] == "0 []"
    assert plain[0].startswith(f"Nothing changed since run {fresh_recheck.run_id} ")
    assert pipeline_run.latest.run_id == fresh_recheck.run_id


def test_a_run_whose_output_pipe_closes_still_writes_its_report_and_record(pipeline_run):
    """The summary's reader gone (`run | head -0`): the status of a cut-short output, and the
    run's report, history and up-to-date record written anyway, so the next run is skipped."""
    assert pipeline_run.closed_stdout_status == 141
    closed = pipeline_run.closed_stdout
    assert closed.run_id != pipeline_run.latest.run_id  # it ran through TFX
    output_dir = pipeline_run.config.output_dir
    assert os.path.isfile(os.path.join(report_dir(output_dir, closed.run_id), "report.html"))
    assert closed.run_id.replace(":", "-") in open(os.path.join(output_dir, "history.html")).read()
    skipped = pipeline_run.after_closed_stdout
    assert skipped.startswith(f"Nothing changed since run {closed.run_id} ")


def test_pushed_model_predicts_on_raw_serialized_examples(pipeline_run, make_raw_examples):
    config, first = pipeline_run.config, pipeline_run.first
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

    config, first = pipeline_run.config, pipeline_run.first
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
    trained_on = loaded.model(inputs)
    assert np.max(np.abs(served.numpy() - trained_on.numpy())) < 1e-5


def chromium(url, profile, *flags):
    """Headless Chromium on `url` with `flags`: (stdout, stderr) (console messages go to
    stderr as ':CONSOLE' lines)."""
    import shutil
    import subprocess

    binary = shutil.which("chromium")
    assert binary, "Debian's chromium is needed (scripts/dev test installs it)"
    result = subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}",
         *flags, url], capture_output=True, text=True, timeout=120)
    return result.stdout, result.stderr


def screenshot_colours(path):
    """The share of non-white pixels and the set of colours of a PNG screenshot."""
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3)
    return float(np.mean(pixels.min(axis=1) < 250)), {tuple(p) for p in pixels[::7]}


def check_in_browser(page_path, tmp_path, height):
    """The page's DOM as Chromium renders it; its screenshot at 1280 px is not blank and the
    console stays silent."""
    page = open(page_path, encoding="utf-8").read()
    assert "<script" not in page  # nothing to run
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page  # nothing fetched from the network
    dom, log = chromium(f"file://{page_path}", tmp_path / "profile", "--dump-dom")
    shot = tmp_path / (os.path.basename(page_path) + ".png")
    _, log_shot = chromium(f"file://{page_path}", tmp_path / "profile",
                           f"--screenshot={shot}", f"--window-size=1280,{height}")
    assert ":CONSOLE" not in log + log_shot
    inked, colours = screenshot_colours(shot)
    assert inked > 0.05, f"{shot} is nearly blank"
    assert (31, 119, 180) in colours  # the charts' first series colour (#1f77b4) is drawn
    return dom


def test_report_renders_in_a_real_browser(pipeline_run, tmp_path):
    """Every run writes a self-contained report.html with charts and thumbnails; headless
    Chromium renders it."""
    config = pipeline_run.config
    reports = glob.glob(os.path.join(config.output_dir, "reports", "*", "report.html"))
    assert len(reports) == 4  # one per run through TFX
    dom = check_in_browser(sorted(reports)[0], tmp_path, 3000)
    for section in ("summary", "data", "anomalies", "training", "errors", "evaluation",
                    "push", "lineage"):
        assert f'<section id="{section}">' in dom, section
    charts = dom.count('class="chart"')
    # pen, y, z; loss and metric curves; predicted vs actual and residuals
    assert charts == 3 + 2 + 2, charts
    assert 'aria-label="predicted vs actual' in dom and 'aria-label="residuals"' in dom
    assert "<polyline" in dom and "train_loss" in dom and "best step" in dom
    thumbnails = dom.count('<img src="data:image/png;base64,')
    # 12 per split (train, eval) in the data section, 8 worst eval examples
    assert thumbnails == 2 * 12 + 8, thumbnails
    assert "root_mean_squared_error" in dom and "CsvImageExampleGen" in dom


def test_history_page_links_every_run(pipeline_run, tmp_path):
    config = pipeline_run.config
    ran = (pipeline_run.first, pipeline_run.recheck, pipeline_run.fresh_recheck,
           pipeline_run.closed_stdout)
    page_path = os.path.join(config.output_dir, "history.html")
    dom = check_in_browser(page_path, tmp_path, 900)
    assert f"{config.pipeline_name}: 4 runs" in dom
    assert 'aria-label="eval RMSE per run"' in dom
    assert dom.count(">report</a>") == 4
    for summary in ran:
        assert summary.run_id in dom


def test_runs_prints_its_table_and_nothing_else(pipeline_run, tmp_path):
    """`runs` in a fresh process: the table on stdout, not a line of library logs; --html
    adds the history page's path."""
    import subprocess
    import sys

    config = pipeline_run.config
    ran = (pipeline_run.first, pipeline_run.recheck, pipeline_run.fresh_recheck,
           pipeline_run.closed_stdout)
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump({"data_root": config.data_root,
                                           "output_dir": config.output_dir}))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = subprocess.run([sys.executable, "pipeline_runner.py", "runs", "--config",
                             str(config_path), "--html"], cwd=root, capture_output=True,
                            text=True, timeout=300, env={  # as a user's shell has it
                                k: v for k, v in os.environ.items()
                                if k not in ("TF_CPP_MIN_LOG_LEVEL", "PYTHONWARNINGS")})
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[2:6]] == [summary.run_id for summary in ran]
    assert lines[6:] == [f"history: {os.path.join(config.output_dir, 'history.html')}"]
