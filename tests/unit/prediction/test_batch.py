"""Batch prediction on a tiny hand-made serving model: one output row per input row, in order
across blocks, keys kept, unreadable rows carrying their quarantine reason."""

import csv

import pytest
import tensorflow as tf

import schemas
from components.errors import DataError
from components.ingest.rows import IngestSettings
from components.prediction import batch

SCHEMA = """
feature { name: "id" type: BYTES annotation { tag: "key" } shape { dim { size: 1 } } }
feature { name: "x" type: FLOAT shape { dim { size: 1 } } }
feature { name: "y" type: FLOAT annotation { tag: "label" } shape { dim { size: 1 } } }
"""


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.pbtxt"
    path.write_text(SCHEMA)
    return schemas.load_feature_set(str(path))


@pytest.fixture(scope="module")
def doubling_model(tmp_path_factory):
    """A serving model whose `prediction` is twice `x` (it reads the key, as exported ones do)."""
    module = tf.Module()
    spec = {"id": tf.io.FixedLenFeature([1], tf.string), "x": tf.io.FixedLenFeature([1], tf.float32)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        return {"prediction": 2.0 * tf.io.parse_example(examples, spec)["x"]}

    path = str(tmp_path_factory.mktemp("serving") / "1700000000")
    tf.saved_model.save(module, path, signatures={"serving_default": serve})
    return path


def test_rows_in_order_with_keys_predictions_and_reasons(tmp_path, features, doubling_model,
                                                         monkeypatch):
    monkeypatch.setattr(batch, "BLOCK_ROWS", 3)  # several blocks to put back in order
    data = tmp_path / "new.csv"
    lines = ["x,id,note"] + [f"{i},r{i},n" for i in range(7)] + ["oops,r7,n", "1,2", "8,r8,n"]
    data.write_text("\n".join(lines) + "\n")
    assert batch.check_input(str(data), features, 1 << 20) == ["note"]
    out = tmp_path / "out" / "predictions.csv"
    settings = IngestSettings(features=features, max_image_pixels=1, max_quarantine_fraction=1.0)
    counts = batch.predict_csv(str(data), settings, str(tmp_path), doubling_model, str(out))
    assert counts == {"rows_scored": 8, "rows_quarantined": 2}
    with open(out, newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["line", "id", "prediction", "quarantine_reason"]
    assert table[1:] == (
        [[str(i + 2), f"r{i}", repr(2.0 * i), ""] for i in range(7)]
        + [["9", "r7", "", "x: non-numeric value ('oops')"],
           ["10", "", "", "(line): wrong number of fields (2 fields, header has 3)"],
           ["11", "r8", "16.0", ""]])
    assert sorted(p.name for p in out.parent.iterdir()) == ["predictions.csv"]


def test_missing_input_column_fails_before_anything_is_written(tmp_path, features):
    data = tmp_path / "new.csv"
    data.write_text("id,y\nr1,2\n")
    with pytest.raises(DataError, match=r"columns of the schema missing from the file: \['x'\]"):
        batch.check_input(str(data), features, 1 << 20)


def test_latest_model_is_the_highest_version(tmp_path):
    for name in ("17", "9", "180", "notes"):
        (tmp_path / name).mkdir()
    assert batch.latest_model(str(tmp_path)) == str(tmp_path / "180")
    with pytest.raises(batch.NoModelError, match="no pushed model under"):
        batch.latest_model(str(tmp_path / "none"))


def test_prediction_columns_by_task():
    assert batch.prediction_columns(["prediction"]) == ["prediction"]
    assert batch.prediction_columns(["probabilities", "class_id", "class_name"]) == [
        "class_name", "probability"]
    outputs = {"class_name": [b"cat", b"dog"], "class_id": [0, 1],
               "probabilities": [[0.7, 0.3], [0.2, 0.8]]}
    assert batch.prediction_cells(outputs, 1) == ["dog", "0.8"]
