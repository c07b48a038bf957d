"""Own data end to end, with no hand edits: real public datasets shipped inside scikit-learn
(Boston house prices: numeric-only; iris: a multiclass label; both in scikit-learn's CSV layout)
and a class-folder image set go through `init` -> `run` -> `predict`; predictions equal the
serving signature on the same rows. The Chicago taxi CSV (categoricals with gaps) goes through
the same in `test_walkthrough_e2e.py`."""

import csv
import glob
import json
import os

import numpy as np
import pytest

from components.ingest import csv_files
from components.trainer.export import recorded_class_names
from components.trainer.run import TRAINING_RECORD
from pipeline import cli
from pipeline.config import load_config
from pipeline.reporting.summary import summarize_all_runs

pytestmark = pytest.mark.slow

SKLEARN_DATA = os.path.join(os.path.dirname(__import__("sklearn").__file__), "datasets", "data")
FAST = ["--train-steps", "200"]


def init_run_predict(tmp_path, init_args, predict_csv=None, edit_schema=None):
    """`init`, then `edit_schema(text)` on the schema it wrote when given, then `run` with the
    config as written, then `predict` on `predict_csv` (default: the CSV the config reads);
    returns (config, the predictions' rows)."""
    out = tmp_path / "project"
    assert cli.main(["init", *init_args, "--out", str(out)]) == 0
    if edit_schema:
        schema = out / "schema.pbtxt"
        schema.write_text(edit_schema(schema.read_text()))
    config_path = str(out / "config.yaml")
    assert cli.main(["run", "--config", config_path, *FAST]) == 0
    config = load_config(config_path)
    predict_csv = predict_csv or os.path.join(config.data_root, config.input_pattern)
    output = tmp_path / "predictions.csv"
    assert cli.main(["predict", "--config", config_path, "--csv", predict_csv,
                     "--output", str(output)]) == 0
    with open(output, newline="") as handle:
        return config, list(csv.DictReader(handle))


def test_boston_numeric_only_in_sklearn_layout(tmp_path, capsys, serve_csv_rows):
    source = os.path.join(SKLEARN_DATA, "boston_house_prices.csv")
    config, predicted = init_run_predict(tmp_path, ["--csv", source, "--label", "MEDV"])
    assert "has scikit-learn's CSV layout" in capsys.readouterr().out
    assert len(predicted) == 506
    assert [int(row["line"]) for row in predicted] == list(range(2, 508))
    served = serve_csv_rows(config, os.path.join(config.data_root, config.input_pattern))
    np.testing.assert_allclose([float(row["prediction"]) for row in predicted],
                               served["prediction"].ravel(), rtol=1e-5, atol=1e-5)


def test_iris_multiclass(tmp_path, serve_csv_rows):
    source = os.path.join(SKLEARN_DATA, "iris.csv")
    config, predicted = init_run_predict(tmp_path, ["--csv", source, "--label", "species"])
    assert len(predicted) == 150
    assert {row["class_name"] for row in predicted} <= {"setosa", "versicolor", "virginica"}
    assert all(0.0 <= float(row["probability"]) <= 1.0 for row in predicted)
    truth = [row["species"] for _, row in csv_files.iter_csv_rows(
        os.path.join(config.data_root, config.input_pattern))]
    accuracy = np.mean([row["class_name"] == label for row, label in zip(predicted, truth)])
    assert accuracy > 0.6
    served = serve_csv_rows(config, os.path.join(config.data_root, config.input_pattern))
    assert [row["class_name"] for row in predicted] == [
        name.decode() for name in served["class_name"]]


def test_iris_with_an_open_label_domain(tmp_path, serve_csv_rows):
    """The species' domain emptied: the classes come from the training data, in a fixed order
    that the model records and serves."""
    source = os.path.join(SKLEARN_DATA, "iris.csv")

    def open_domain(schema):
        listed = 'string_domain {\n  name: "species"\n  value: "setosa"\n  value: "versicolor"\n'\
                 '  value: "virginica"\n}'
        assert listed in schema
        return schema.replace(listed, 'string_domain {\n  name: "species"\n}')

    config, predicted = init_run_predict(tmp_path, ["--csv", source, "--label", "species"],
                                         edit_schema=open_domain)
    assert config.features().label.open_classes
    [summary] = summarize_all_runs(config)
    assert summary.anomalies == [] and summary.blessed and summary.pushed
    assert summary.primary_metric == "accuracy" and summary.eval_metrics["accuracy"] > 0.6
    [record] = glob.glob(os.path.join(config.pipeline_root, "Trainer", "model_run", "*",
                                      TRAINING_RECORD))
    with open(record) as handle:
        recorded = json.load(handle)
    assert recorded["task"] == "multiclass"
    assert sorted(recorded["class_names"]) == ["setosa", "versicolor", "virginica"]
    [exported] = glob.glob(os.path.join(config.pipeline_root, "Trainer", "model", "*",
                                        "Format-Serving"))
    assert recorded_class_names(exported) == tuple(recorded["class_names"])
    truth = [row["species"] for _, row in csv_files.iter_csv_rows(
        os.path.join(config.data_root, config.input_pattern))]
    assert len(predicted) == 150
    assert np.mean([row["class_name"] == label for row, label in zip(predicted, truth)]) > 0.6
    served = serve_csv_rows(config, os.path.join(config.data_root, config.input_pattern))
    names = sorted({name.decode() for name in served["class_name"]})
    assert names == sorted(set(truth)) and served["probabilities"].shape == (150, 3)


def test_class_folders(tmp_path):
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = tmp_path / "digits"
    listed = [["image"]]
    for index in range(90):
        digit = int(digits.target[index])
        if digit > 2:
            continue
        folder = images / f"digit_{digit}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.uint8(digits.images[index] * 255 / 16)
        Image.fromarray(pixels, mode="L").resize((16, 16)).save(folder / f"{index}.png")
        listed.append([f"digit_{digit}/{index}.png"])
    listed.append(["digit_0/absent.png"])
    new_rows = images / "new.csv"
    with open(new_rows, "w", newline="") as handle:
        csv.writer(handle).writerows(listed)
    _, predicted = init_run_predict(
        tmp_path, ["--layout", "class_folders", "--data-root", str(images)], str(new_rows))
    assert len(predicted) == len(listed) - 1
    assert predicted[-1]["quarantine_reason"].startswith("image: missing image file")
    assert predicted[-1]["class_name"] == ""
    assert {row["class_name"] for row in predicted[:-1]} <= {"digit_0", "digit_1", "digit_2"}


def test_a_schema_edited_between_runs_is_imported_again(tmp_path):
    """TFX's ImportSchemaGen keys its cache on the schema's path: an edit in place (here, iris's
    second column made optional) came from the cache and the run kept the old schema."""
    from google.protobuf import text_format

    import schemas

    source = os.path.join(SKLEARN_DATA, "iris.csv")
    config, _ = init_run_predict(tmp_path, ["--csv", source, "--label", "species"])
    schema = schemas.load_schema(config.resolved_schema_path)
    feature = next(f for f in schema.feature if f.name == "feature_2")
    feature.ClearField("shape")
    feature.presence.min_fraction = 0.5
    with open(config.resolved_schema_path, "w") as handle:
        handle.write(text_format.MessageToString(schema))
    assert cli.main(["run", "--config", str(tmp_path / "project" / "config.yaml"), *FAST]) == 0
    runs = summarize_all_runs(config)
    assert len(runs) == 2
    imported = []
    for run in runs:
        [node] = [node for node in run.nodes if node.node_id == "ImportSchemaGen"]
        imported.append(schemas.load_schema(os.path.join(node.outputs["Schema"][0].uri,
                                                         "schema.pbtxt")))
    assert imported[1] == schema and imported[0] != schema
