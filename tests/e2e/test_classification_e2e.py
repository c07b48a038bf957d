"""Classification through the CLI: digits as class folders (multiclass, images only) and a
tabular binary task (scikit-learn's breast cancer table), each trained, blessed and pushed; the
served class names and probabilities; a classifier under its accuracy bound is evaluated but not
blessed or pushed; a class folder outside the schema's domain stops the run."""

import csv
import glob
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
import yaml

import schemas
from pipeline import cli
from pipeline.config import load_config
from pipeline.datasets import demos
from pipeline.reporting.summary import summarize_latest_run

pytestmark = pytest.mark.slow

SMALL = {"train_steps": 40, "eval_steps": 4, "batch_size": 16, "image_height": 12,
         "image_width": 12, "checkpoint_every": 0}


def write_config(path, **values):
    path.write_text(yaml.safe_dump(values))
    return str(path)


@pytest.fixture(scope="module")
def folders_run(tmp_path_factory):
    """Class folders with the demo's settings (no input_pattern): a run under a reachable bound,
    then the same model under an unreachable one. Yields (config, [summary, summary])."""
    root = tmp_path_factory.mktemp("folders")
    features = schemas.load_feature_set(schemas.dataset_schema_path("digit_classes"))
    demos.generate_class_folders(str(root / "data"), features, rows=150)
    settings = dict(demos.DEMOS["classify"], data_root=str(root / "data"),
                    output_dir=str(root / "out"), min_eval_accuracy=0.0, **SMALL)
    summaries = []
    for bound in (0.0, 0.999):
        path = write_config(root / "config.yaml", **dict(settings, min_eval_accuracy=bound))
        assert cli.main(["run", "--config", path]) == 0
        summaries.append(summarize_latest_run(load_config(path)))
    return load_config(path), summaries


def test_class_folders_train_bless_and_push(folders_run):
    _, (first, _) = folders_run
    assert (first.rows_read, first.rows_ingested) == (150, 150)
    assert first.anomalies == []
    assert 0.0 < first.eval_metrics["accuracy"] <= 1.0
    assert 0.0 < first.majority_class_accuracy < 0.3  # ten classes, none dominant
    assert first.blessed and first.pushed
    text = first.render()
    assert "eval accuracy" in text and "eval accuracy, train's top class" in text


def test_a_classifier_under_its_accuracy_bound_is_not_blessed(folders_run):
    config, (first, second) = folders_run
    assert second.states["Trainer"] == "CACHED" and second.states["Evaluator"] == "COMPLETE"
    assert second.eval_metrics["accuracy"] == pytest.approx(first.eval_metrics["accuracy"])
    assert second.eval_metrics["accuracy"] < 0.999
    assert second.blessed is False and second.pushed is False
    assert len(os.listdir(config.serving_dir)) == 1  # only the first run's model


def records(uri, split):
    files = glob.glob(os.path.join(uri, f"Split-{split}", "*.gz"))
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def test_served_classes_equal_the_model_on_the_transform_output(folders_run):
    import tensorflow_transform as tft

    config, (first, _) = folders_run
    features = config.features()
    nodes = {node.node_id: node for node in first.nodes}
    raw = records(nodes["CsvImageExampleGen"].outputs["Examples"][0].uri, "eval")
    transformed_uri = nodes["Transform"].outputs["Examples"][0].uri
    spec = tft.TFTransformOutput(
        nodes["Transform"].outputs["TransformGraph"][0].uri).transformed_feature_spec()
    transformed = tf.io.parse_example(records(transformed_uri, "eval"), spec)
    loaded = tf.saved_model.load(glob.glob(os.path.join(config.serving_dir, "*"))[0])
    # pair each raw example with its row of the Transform output by the transformed image
    row_of = {image.tobytes(): i for i, image in enumerate(transformed["image"].numpy())}
    again = loaded.signatures["transform_features"](examples=tf.constant(raw))
    order = [row_of[image.tobytes()] for image in again["image"].numpy()]
    assert len(set(order)) == len(raw) > 10

    served = loaded.signatures["serving_default"](examples=tf.constant(raw))
    assert set(served) == {"probabilities", "class_id", "class_name"}
    logits = loaded.model({"image": tf.gather(transformed["image"], order)})
    np.testing.assert_allclose(served["probabilities"].numpy(),
                               tf.nn.softmax(logits).numpy(), atol=1e-5)
    names = [n.decode() for n in served["class_name"].numpy()]
    assert names == [features.class_names[i] for i in served["class_id"].numpy()]
    labels = tf.gather(transformed["digit"], order).numpy().ravel()
    accuracy = np.mean(served["class_id"].numpy() == labels)
    assert accuracy == pytest.approx(first.eval_metrics["accuracy"], abs=1e-6)


def test_a_folder_of_new_images_is_scored_file_by_file(folders_run, tmp_path, capsys):
    """`predict --images`: every PNG/JPEG under the folder is a row named by its file; an image
    that does not decode is quarantined with its reason, a text file is named, not scored."""
    config, _ = folders_run
    data = config.data_root
    new = tmp_path / "new"
    (new / "sub").mkdir(parents=True)
    picked = [os.path.join(data, "3", sorted(os.listdir(os.path.join(data, "3")))[0]),
              os.path.join(data, "8", sorted(os.listdir(os.path.join(data, "8")))[0])]
    shutil.copy(picked[0], new / "a.png")
    shutil.copy(picked[1], new / "sub" / "b.png")
    (new / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (new / "notes.txt").write_text("not an image")
    output = tmp_path / "predictions.csv"
    config_path = os.path.join(os.path.dirname(data), "config.yaml")
    assert cli.main(["predict", "--config", config_path, "--images", str(new),
                     "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "Not scoring 1 file(s) that are not PNG/JPEG images (first: notes.txt)" in printed
    assert "Wrote " + str(output) + ": 2 rows scored, 1 quarantined" in printed
    with open(output, newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["line", "file", "class_name", "probability", "quarantine_reason"]
    assert [row[:2] for row in table[1:]] == [["2", "a.png"], ["3", "broken.png"],
                                              ["4", "sub/b.png"]]
    features = config.features()
    for row in (table[1], table[3]):
        assert row[2] in features.class_names and 0.0 < float(row[3]) <= 1.0 and row[4] == ""
    assert table[2][2:4] == ["", ""] and table[2][4].startswith("image: ")


def test_a_class_folder_outside_the_domain_stops_the_run(tmp_path, capsys):
    features = schemas.load_feature_set(schemas.dataset_schema_path("digit_classes"))
    data = tmp_path / "data"
    demos.generate_class_folders(str(data), features, rows=40)
    os.makedirs(data / "seven")
    for name in sorted(os.listdir(data / "7"))[:2]:
        shutil.copy(data / "7" / name, data / "seven" / name)
    path = write_config(tmp_path / "config.yaml", **dict(
        demos.DEMOS["classify"], data_root=str(data), output_dir=str(tmp_path / "out"), **SMALL))
    assert cli.main(["run", "--config", path]) == 1
    err = capsys.readouterr().err
    assert "data validation found" in err and "Transform and Trainer did not run" in err
    [line] = [line for line in err.splitlines() if "] digit:" in line]
    assert "seven" in line
    assert "Traceback" not in err


def test_class_folders_without_images_is_one_line(tmp_path, capsys):
    os.makedirs(tmp_path / "data" / "3")
    (tmp_path / "data" / "3" / "notes.txt").write_text("not an image")
    path = write_config(tmp_path / "config.yaml", **dict(
        demos.DEMOS["classify"], data_root=str(tmp_path / "data"),
        output_dir=str(tmp_path / "out"), **SMALL))
    assert cli.main(["run", "--config", path]) == 1
    err = capsys.readouterr().err
    [line] = [text for text in err.splitlines() if text.startswith("error:")]
    assert "Traceback" not in err
    assert line == (f"error: layout class_folders: no PNG/JPEG image under data root "
                    f"{tmp_path / 'data'} matches input_pattern '*/*' (expected "
                    "<data_root>/<class>/<image>.png|jpg|jpeg)")


BREAST_CANCER_SCHEMA = """
feature {{ name: "diagnosis" type: BYTES domain: "diagnosis" presence {{ min_fraction: 1 }}
          shape {{ dim {{ size: 1 }} }} annotation {{ tag: "label" }} }}
string_domain {{ name: "diagnosis" value: "{negative}" value: "{positive}" }}
"""


def write_breast_cancer(root):
    """scikit-learn's breast cancer table as a CSV with a class-name label, and its schema."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    columns = [name.replace(" ", "_") for name in data.feature_names]
    os.makedirs(root / "data")
    with open(root / "data" / "data.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns + ["diagnosis"])
        for values, target in zip(data.data, data.target):
            writer.writerow([f"{v:.6g}" for v in values] + [data.target_names[target]])
    schema = "".join(f'feature {{ name: "{c}" type: FLOAT presence {{ min_fraction: 1 }} '
                     f'shape {{ dim {{ size: 1 }} }} }}\n' for c in columns)
    (root / "schema.pbtxt").write_text(schema + BREAST_CANCER_SCHEMA.format(
        negative=data.target_names[0], positive=data.target_names[1]))


def test_tabular_binary_task_trains_blesses_and_pushes(tmp_path):
    write_breast_cancer(tmp_path)
    path = write_config(tmp_path / "config.yaml", schema_path=str(tmp_path / "schema.pbtxt"),
                        data_root=str(tmp_path / "data"), output_dir=str(tmp_path / "out"),
                        train_steps=60, eval_steps=10, batch_size=32, checkpoint_every=0,
                        min_eval_auc=0.9, min_eval_accuracy=0.8)
    assert cli.main(["run", "--config", path]) == 0
    config = load_config(path)
    summary = summarize_latest_run(config)
    assert config.features().task is schemas.Task.BINARY
    assert summary.eval_metrics["auc"] >= 0.9 and summary.eval_metrics["accuracy"] >= 0.8
    assert 0.5 < summary.majority_class_accuracy < 0.75  # 357 benign of 569
    assert summary.blessed and summary.pushed
    assert "eval auc" in summary.render()
    loaded = tf.saved_model.load(glob.glob(os.path.join(config.serving_dir, "*"))[0])
    nodes = {node.node_id: node for node in summary.nodes}
    raw = records(nodes["CsvImageExampleGen"].outputs["Examples"][0].uri, "eval")[:5]
    unlabelled = []
    for serialized in raw:
        example = tf.train.Example.FromString(serialized)
        del example.features.feature["diagnosis"]
        unlabelled.append(example.SerializeToString())
    served = loaded.signatures["serving_default"](examples=tf.constant(unlabelled))
    assert set(served) == {"probabilities", "class_id", "class_name", "positive_probability"}
    assert {n.decode() for n in served["class_name"].numpy()} <= {"malignant", "benign"}
    np.testing.assert_allclose(served["probabilities"].numpy()[:, 1],
                               served["positive_probability"].numpy(), rtol=1e-6)
