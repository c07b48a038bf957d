"""`predict --model DIR`: the features a serving model parses are read from its signature and
must be the schema's inputs, with their types, before any row is scored."""

import csv

import pytest
import tensorflow as tf

import schemas
from components.ingest.rows import IngestSettings
from components.prediction import batch
from components.prediction.model_inputs import (ModelMismatch, check_model_inputs,
                                                parsed_features)

SCHEMA = """
feature { name: "id" type: BYTES annotation { tag: "key" } shape { dim { size: 1 } } }
feature { name: "x" type: FLOAT shape { dim { size: 1 } } }
feature { name: "n" type: INT presence { min_fraction: 0.5 } }
feature { name: "y" type: FLOAT annotation { tag: "label" } shape { dim { size: 1 } } }
"""


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.pbtxt"
    path.write_text(SCHEMA)
    return schemas.load_feature_set(str(path))


def _serving_model(path, spec):
    """A serving model that parses `spec` (nothing when empty); its `prediction` is twice the
    first parsed float feature, or 0."""
    module = tf.Module()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(examples):
        parsed = tf.io.parse_example(examples, spec) if spec else {}
        floats = [value for value in parsed.values()
                  if isinstance(value, tf.Tensor) and value.dtype == tf.float32]
        return {"prediction": 2.0 * floats[0] if floats else tf.zeros([tf.size(examples), 1])}

    tf.saved_model.save(module, str(path), signatures={"serving_default": serve})
    return str(path)


def _signature(model_dir):
    return tf.saved_model.load(model_dir).signatures["serving_default"]


FITTING = {"x": tf.io.FixedLenFeature([1], tf.float32), "n": tf.io.VarLenFeature(tf.int64)}


def test_parsed_features_are_read_from_the_signature_dense_and_sparse(tmp_path):
    model = _serving_model(tmp_path / "m", {**FITTING, "id": tf.io.FixedLenFeature([1],
                                                                                  tf.string)})
    assert parsed_features(_signature(model)) == {"x": "float32", "n": "int64", "id": "string"}


def test_a_model_that_parses_nothing_is_not_compared(tmp_path, features):
    model = _serving_model(tmp_path / "m", {})
    assert parsed_features(_signature(model)) is None
    check_model_inputs(model, None, features)


def test_the_schemas_inputs_pass_and_a_parsed_key_too(features):
    check_model_inputs("m", {"x": "float32", "n": "int64"}, features)
    check_model_inputs("m", {"x": "float32", "n": "int64", "id": "string"}, features)


def test_another_pipelines_model_is_refused_naming_features_and_model(features):
    with pytest.raises(ModelMismatch) as raised:
        check_model_inputs("/models/wine/1", {"feature_1": "float32", "n": "float32",
                                              "y": "float32"}, features)
    assert str(raised.value) == (
        "the model /models/wine/1 was not trained on the config's schema: it reads features "
        "the schema does not have: feature_1, y; it does not read the schema's inputs x; types "
        "differ: n (float in the model, int in the schema); pass the model of this pipeline "
        "(its serving_model/), or the config of the model's pipeline")


def test_predict_refuses_a_mismatched_model_before_writing(tmp_path, features):
    model = _serving_model(tmp_path / "other", {"z": tf.io.FixedLenFeature([1], tf.float32)})
    data = tmp_path / "new.csv"
    data.write_text("id,x,n\nr1,1,2\n")
    settings = IngestSettings(features=features, max_image_pixels=1, max_quarantine_fraction=1.0,
                              image_channels=1)
    out = tmp_path / "out" / "predictions.csv"
    with pytest.raises(ModelMismatch, match=f"the model {model} was not trained on the "
                       "config's schema: it reads features the schema does not have: z; it "
                       "does not read the schema's inputs x, n;"):
        batch.predict_csv(str(data), settings, str(tmp_path), model, str(out))
    assert not out.exists()
    fitting = _serving_model(tmp_path / "fitting", FITTING)
    assert batch.predict_csv(str(data), settings, str(tmp_path), fitting, str(out)) == {
        "rows_scored": 1, "rows_quarantined": 0}
    with open(out, newline="") as handle:
        assert list(csv.reader(handle)) == [["line", "id", "prediction", "quarantine_reason"],
                                            ["2", "r1", "2.0", ""]]
