"""Batch prediction on a tiny hand-made serving model: one output row per input row, in order
across blocks, keys kept, unreadable rows (an empty required key among them) carrying their
quarantine reason."""

import csv

import numpy as np
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


def _feature_set(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("schema") / "schema.pbtxt"
    path.write_text(text)
    return schemas.load_feature_set(str(path))


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    return _feature_set(tmp_path_factory, SCHEMA)


@pytest.fixture(scope="module")
def optional_key_features(tmp_path_factory):
    """The key optional, as `init` drafts a key column with empty cells."""
    return _feature_set(tmp_path_factory, SCHEMA.replace(
        'annotation { tag: "key" } shape { dim { size: 1 } }',
        'annotation { tag: "key" } presence { min_fraction: 0.5 }'))


def _doubling_model(path, reads_key, also_reads=None):
    """A serving model whose `prediction` is twice `x`; `reads_key`: its signature also parses
    the key, as the Trainer's exports did before keys left the serving signature; `also_reads`:
    more features it parses (name -> dtype) and does not use."""
    module = tf.Module()
    spec = {"x": tf.io.FixedLenFeature([1], tf.float32)}
    if reads_key:
        spec["id"] = tf.io.FixedLenFeature([1], tf.string)
    for name, dtype in (also_reads or {}).items():
        spec[name] = tf.io.FixedLenFeature([1], dtype)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        return {"prediction": 2.0 * tf.io.parse_example(examples, spec)["x"]}

    tf.saved_model.save(module, str(path), signatures={"serving_default": serve})
    return str(path)


@pytest.fixture(scope="module")
def doubling_model(tmp_path_factory):
    return _doubling_model(tmp_path_factory.mktemp("serving") / "1700000000", reads_key=False)


@pytest.fixture(scope="module")
def key_reading_model(tmp_path_factory):
    return _doubling_model(tmp_path_factory.mktemp("old-serving") / "1600000000", reads_key=True)


def _predict(tmp_path, features, model_dir, lines):
    data = tmp_path / "new.csv"
    data.write_text("\n".join(lines) + "\n")
    batch.check_input(str(data), features, 1 << 20)
    out = tmp_path / "out" / "predictions.csv"
    settings = IngestSettings(features=features, max_image_pixels=1, max_quarantine_fraction=1.0,
                              image_channels=1)
    counts = batch.predict_csv(str(data), settings, str(tmp_path), model_dir, str(out))
    with open(out, newline="") as handle:
        return counts, list(csv.reader(handle))


def test_rows_in_order_with_keys_predictions_and_reasons(tmp_path, features, doubling_model,
                                                         monkeypatch):
    monkeypatch.setattr(batch, "BLOCK_ROWS", 3)  # several blocks to put back in order
    data = tmp_path / "new.csv"
    lines = ["x,id,note"] + [f"{i},r{i},n" for i in range(7)] + ["oops,r7,n", "1,2", "8,r8,n"]
    data.write_text("\n".join(lines) + "\n")
    assert batch.check_input(str(data), features, 1 << 20) == ["note"]
    out = tmp_path / "out" / "predictions.csv"
    settings = IngestSettings(features=features, max_image_pixels=1, max_quarantine_fraction=1.0,
                              image_channels=1)
    counts = batch.predict_csv(str(data), settings, str(tmp_path), doubling_model, str(out))
    assert counts == {"rows_scored": 8, "rows_quarantined": 2}
    with open(out, newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["line", "id", "prediction", "quarantine_reason"]
    assert table[1:] == (
        [[str(i + 2), f"r{i}", repr(2.0 * i), ""] for i in range(7)]
        + [["9", "r7", "", "x: non-numeric value ('oops')"],
           ["10", "2", "", "(line): wrong number of fields (2 fields, header has 3)"],
           ["11", "r8", "16.0", ""]])
    assert sorted(p.name for p in out.parent.iterdir()) == ["predictions.csv"]


def test_an_empty_required_key_is_quarantined_as_in_training(tmp_path, features,
                                                             optional_key_features,
                                                             doubling_model):
    """A row without its key cannot be joined back: a key the schema requires, present in the
    file but empty, quarantines the row with ingestion's reason; a key the schema makes
    optional may be empty (as in training); a file without the key column is scored (keys are
    optional for serving)."""
    counts, table = _predict(tmp_path, features, doubling_model, ["x,id", "1,", "2,r2", "3, "])
    assert counts == {"rows_scored": 1, "rows_quarantined": 2}
    assert table[1:] == [["2", "", "", "id: missing required value"], ["3", "r2", "4.0", ""],
                         ["4", " ", "", "id: missing required value"]]
    counts, table = _predict(tmp_path, optional_key_features, doubling_model,
                             ["x,id", "1,", "2,r2"])
    assert counts == {"rows_scored": 2, "rows_quarantined": 0}
    assert table[1:] == [["2", "", "2.0", ""], ["3", "r2", "4.0", ""]]
    counts, table = _predict(tmp_path, features, doubling_model, ["x", "3"])  # no key column
    assert table == [["line", "id", "prediction", "quarantine_reason"], ["2", "", "6.0", ""]]


def test_a_row_an_older_model_refuses_is_quarantined_and_the_others_scored(
        tmp_path, optional_key_features, key_reading_model):
    counts, table = _predict(tmp_path, optional_key_features, key_reading_model,
                             ["x,id", "1,r1", "2,", "3,r3"])
    assert counts == {"rows_scored": 2, "rows_quarantined": 1}
    assert table[1:] == [
        ["2", "r1", "2.0", ""],
        ["3", "", "", "the model refused the row: Feature: id (data type: string) is required "
                      "but could not be found."],
        ["4", "r3", "6.0", ""]]


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


def test_a_key_named_like_an_output_column_is_refused(tmp_path):
    path = tmp_path / "schema.pbtxt"
    path.write_text(SCHEMA.replace('name: "id"', 'name: "line"'))
    with pytest.raises(DataError, match="key column 'line' has the name of a column predict "
                                        "writes .line, prediction, quarantine_reason.: rename it"):
        batch.output_header(schemas.load_feature_set(str(path)), ["prediction"])


def test_numbers_a_feature_cannot_hold_are_quarantined(tmp_path_factory, tmp_path):
    """An INT beyond 64 bits made the Beam job fail (`Value out of range`) and write nothing,
    a FLOAT beyond a 32-bit float's range was scored `inf`, and `1_0` or Arabic-Indic digits
    passed as numbers (Python's float() reads them): each row is quarantined with its reason,
    the others scored."""
    features = _feature_set(tmp_path_factory, SCHEMA + (
        'feature { name: "n" type: INT shape { dim { size: 1 } } }'))
    model = _doubling_model(tmp_path / "serving" / "1", False, also_reads={"n": tf.int64})
    counts, table = _predict(tmp_path, features, model, [
        "id,x,n", "a,1,9223372036854775807", "b,1,9223372036854775808", "c,1,1e30",
        "d,1e39,1", "e,-3.5e38,1", "f,1e300,1", "g,1_0,1", "h,1,١٢", "i,1.5e38,-5"])
    assert counts == {"rows_scored": 2, "rows_quarantined": 7}
    int_range = "n: value out of range for INT (64-bit integer)"
    assert table[1:] == [
        ["2", "a", "2.0", ""],
        ["3", "b", "", f"{int_range} ('9223372036854775808')"],
        ["4", "c", "", f"{int_range} ('1e30')"],
        ["5", "d", "", "x: NaN or infinite value ('1e39': infinite as a 32-bit float)"],
        ["6", "e", "", "x: NaN or infinite value ('-3.5e38': infinite as a 32-bit float)"],
        ["7", "f", "", "x: NaN or infinite value ('1e300': infinite as a 32-bit float)"],
        ["8", "g", "", "x: non-numeric value ('1_0')"],
        ["9", "h", "", "n: non-numeric value ('١٢')"],
        ["10", "i", repr(float(2 * np.float32(1.5e38))), ""]]


def test_image_rows_get_ingestions_path_rule_and_channel_check(tmp_path):
    """`predict` reads image paths by ingestion's rule (an absolute path under the data root is
    scored; a backslash is refused saying paths use '/') and decodes to the config's channels
    (a CMYK JPEG, which 1 channel cannot hold, is refused with what to do)."""
    from PIL import Image

    image_schema = SCHEMA.replace('name: "x" type: FLOAT', 'name: "photo" type: BYTES '
                                  'image_domain { }')
    path = tmp_path / "schema.pbtxt"
    path.write_text(image_schema)
    features = schemas.load_feature_set(str(path))
    module = tf.Module()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        spec = {"photo": tf.io.FixedLenFeature([1], tf.string)}
        photo = tf.io.parse_example(examples, spec)["photo"]
        return {"prediction": tf.cast(tf.strings.length(photo), tf.float32)}

    model_dir = str(tmp_path / "serving" / "1")
    tf.saved_model.save(module, model_dir, signatures={"serving_default": serve})
    (tmp_path / "img").mkdir()
    Image.new("L", (1, 1)).save(tmp_path / "img" / "a.png")
    Image.new("L", (1, 1)).convert("CMYK").save(tmp_path / "img" / "c.jpg")
    size = (tmp_path / "img" / "a.png").stat().st_size
    counts, table = _predict(tmp_path, features, model_dir, [
        "id,photo", "r1,img/a.png", f"r2,{tmp_path}/img/a.png", "r3,img\\a.png", "r4,img/c.jpg"])
    assert counts == {"rows_scored": 2, "rows_quarantined": 2}
    assert table[1:] == [
        ["2", "r1", repr(float(size)), ""], ["3", "r2", repr(float(size)), ""],
        ["4", "r3", "", "photo: image path holds a backslash (img\\a.png: paths use '/', as in "
                        "img/a.png)"],
        ["5", "r4", "", f"photo: unreadable image ({tmp_path}/img/c.jpg: a CMYK JPEG does not "
                        "decode to 1 channel (image_channels: 1): save it as grayscale or RGB, "
                        "or set image_channels: 3)"]]


def test_a_row_spanning_lines_is_numbered_by_the_line_it_starts_on(tmp_path, features,
                                                                   doubling_model):
    """A quoted note spanning lines 2-3: `predict` said line 3, its last (as ingestion's
    quarantine records did)."""
    counts, table = _predict(tmp_path, features, doubling_model,
                             ["x,id,note", '1,r1,"two', 'lines"', "oops,r2,n", "3,r3,n"])
    assert counts == {"rows_scored": 2, "rows_quarantined": 1}
    assert table[1:] == [["2", "r1", "2.0", ""], ["4", "r2", "", "x: non-numeric value ('oops')"],
                         ["5", "r3", "6.0", ""]]
