"""The schema as a contract, end to end: bad data stops the run before Transform with one line
per anomaly; a column added only to the schema is ingested, transformed and used by the model."""

import csv
import glob
import json
import os
import re
import shutil

import numpy as np
import pytest
import tensorflow as tf
import yaml

from pipeline import cli
from pipeline.datasets import demo_data
from pipeline.config import load_config
from pipeline.reporting.summary import summarize_latest_run

pytestmark = pytest.mark.slow


def rewrite_csv(path, change):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows = change(rows)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_config(root, **values):
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump({
        "output_dir": str(root / "out"), "train_steps": 40, "eval_steps": 4, "batch_size": 16,
        "image_height": 12, "image_width": 12, "max_eval_rmse": 100.0, **values}))
    return str(path)


def test_anomalies_stop_the_run_before_transform(tmp_path, tiny_demo_data, capsys):
    data_root = tmp_path / "data"
    shutil.copytree(tiny_demo_data, data_root)

    def corrupt(rows):
        rows[0]["pen"] = "d"            # a new category
        rows[1]["z"] = "55"             # out of the schema's range
        return rows

    rewrite_csv(data_root / demo_data.CSV_NAME, corrupt)
    schema_text = open(load_config().resolved_schema_path).read()
    schema_path = tmp_path / "schema.pbtxt"     # images over a tight byte limit
    schema_path.write_text(schema_text.replace("max_image_byte_size: 1048576",
                                               "max_image_byte_size: 200"))
    config_path = write_config(tmp_path, data_root=str(data_root), schema_path=str(schema_path))

    assert cli.main(["run", "--config", config_path]) == 1
    err = capsys.readouterr().err
    assert "data validation found" in err and "Transform and Trainer did not run" in err
    assert "pen: Unexpected string values" in err
    assert "z: Out-of-range values" in err
    assert "image: Image over the byte limit" in err

    summary = summarize_latest_run(load_config(config_path))
    assert summary.states["DataGate"] == "FAILED"
    assert not {"Transform", "Trainer", "Evaluator", "Pusher"} & set(summary.states)


def test_missing_column_fails_fast_naming_it(tmp_path, tiny_demo_data, capsys):
    data_root = tmp_path / "data"
    shutil.copytree(tiny_demo_data, data_root)
    rewrite_csv(data_root / demo_data.CSV_NAME,
                lambda rows: [{k: v for k, v in r.items() if k != "pen"} for r in rows])
    assert cli.main(["run", "--config", write_config(tmp_path, data_root=str(data_root))]) == 1
    err = capsys.readouterr().err
    assert "data.csv: columns of the schema missing from the file: ['pen']" in err


def test_column_added_only_to_the_schema_is_trained_on(tmp_path, tiny_demo_data):
    data_root = tmp_path / "data"
    shutil.copytree(tiny_demo_data, data_root)
    rng = np.random.default_rng(0)
    rewrite_csv(data_root / demo_data.CSV_NAME,
                lambda rows: [dict(r, w=f"{rng.normal():.4f}") for r in rows])
    schema_path = tmp_path / "schema.pbtxt"
    schema_path.write_text(open(load_config().resolved_schema_path).read() + """
feature {
  name: "w"
  type: FLOAT
  shape { dim { size: 1 } }
  presence { min_fraction: 1.0 min_count: 1 }
}
""")
    config_path = write_config(tmp_path, data_root=str(data_root), schema_path=str(schema_path))
    assert cli.main(["run", "--config", config_path]) == 0
    config = load_config(config_path)
    assert summarize_latest_run(config).pushed

    loaded = tf.saved_model.load(glob.glob(os.path.join(config.serving_dir, "*"))[0])
    with open(data_root / demo_data.CSV_NAME, newline="") as handle:
        first = next(csv.DictReader(handle))
    image = (data_root / first["image"]).read_bytes()

    def example(w, label=None):
        feature = {
            "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image])),
            "z": tf.train.Feature(float_list=tf.train.FloatList(value=[0.3])),
            "pen": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"a"])),
            "w": tf.train.Feature(float_list=tf.train.FloatList(value=[w])),
        }
        if label is not None:
            feature["y"] = tf.train.Feature(float_list=tf.train.FloatList(value=[label]))
        return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()

    transformed = loaded.signatures["transform_features"](examples=tf.constant([example(1.0, label=2.0)]))
    assert "w" in transformed
    predictions = loaded.signatures["serving_default"](
        examples=tf.constant([example(-3.0), example(3.0)]))["prediction"].numpy().ravel()
    assert predictions[0] != predictions[1]  # the model reads the new input


def test_drift_from_the_previous_span_stops_the_run(tmp_path, digits_features, capsys):
    data_root = tmp_path / "data"
    demo_data.generate(str(data_root), digits_features, rows=120, subdir="span-0")
    config_path = write_config(tmp_path, data_root=str(data_root),
                               input_pattern="span-{SPAN}/*.csv")
    assert cli.main(["run", "--config", config_path]) == 0

    demo_data.generate(str(data_root), digits_features, rows=120, subdir="span-1", seed=1)

    def drift(rows):
        return [dict(r, z=f"{float(r['z']) + 4:.6f}", pen="a") for r in rows]

    rewrite_csv(data_root / "span-1" / demo_data.CSV_NAME, drift)
    assert cli.main(["run", "--config", config_path]) == 1
    err = capsys.readouterr().err
    assert "[train vs. previous span] pen: High Linfty distance between current and previous" in err
    assert "[train vs. previous span] z: High approximate Jensen-Shannon divergence" in err
    summary = summarize_latest_run(load_config(config_path))
    assert summary.states["DataGate"] == "FAILED"


def test_wrong_type_column_stops_the_run(tmp_path, tiny_demo_data, capsys):
    data_root = tmp_path / "data"
    shutil.copytree(tiny_demo_data, data_root)
    rewrite_csv(data_root / demo_data.CSV_NAME, lambda rows: [dict(r, z="high") for r in rows])
    assert cli.main(["run", "--config", write_config(tmp_path, data_root=str(data_root))]) == 1
    err = capsys.readouterr().err
    assert "60 of 60 rows (100.0%) were quarantined, over the limit of 1.0%" in err
    # the records outlive the failed execution's artifacts, which TFX deletes
    kept = re.search(r"reasons are in (\S+)", err).group(1)
    [records] = glob.glob(os.path.join(kept, "*.jsonl"))
    with open(records) as handle:
        reasons = [json.loads(line)["reason"] for line in handle]
    assert reasons == ["non-numeric value"] * 60
    summary = summarize_latest_run(load_config(write_config(tmp_path,
                                                            data_root=str(data_root))))
    assert summary.states["CsvImageExampleGen"] == "FAILED"
    assert "Transform" not in summary.states
    # the history reads the run's rows from the kept records
    assert (summary.rows_read, summary.rows_ingested, summary.rows_quarantined) == (60, 0, 60)
    assert summary.ingest_failed and summary.quarantine_dir == kept
