"""preprocessing_fn under tf.Transform's Beam implementation: exact numbers on tiny data."""

import io

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from PIL import Image
from tensorflow_transform.tf_metadata import dataset_metadata

import schemas
from components.transform import preprocessing

HEIGHT, WIDTH = 6, 4


def encoded(mode, size, fmt, fill):
    buffer = io.BytesIO()
    Image.new(mode, size, color=fill).save(buffer, format=fmt)
    return buffer.getvalue()


def run_transform(raw_rows, features, tmp_path, channels=1, resize_mode="stretch", schema=None):
    schema = schema or schemas.load_schema(schemas.dataset_schema_path("digits"))
    metadata = dataset_metadata.DatasetMetadata(schema)
    settings = preprocessing.TransformSettings(
        features=features, image_height=HEIGHT, image_width=WIDTH, image_channels=channels,
        resize_mode=resize_mode)

    def fn(inputs):
        return preprocessing.preprocessing_fn(inputs, settings.to_dict())

    with tft_beam.Context(temp_dir=str(tmp_path / "tft_tmp"), force_tf_compat_v1=False):
        (transformed, transformed_metadata), transform_fn = (
            (raw_rows, metadata) | tft_beam.AnalyzeAndTransformDataset(fn))
        output_dir = str(tmp_path / "tft_out")
        _ = transform_fn | tft_beam.WriteTransformFn(output_dir)
    return transformed, tft.TFTransformOutput(output_dir)


@pytest.fixture(scope="module")
def transformed(tmp_path_factory, digits_features):
    raw = [
        {"image": [encoded("L", (8, 8), "PNG", 255)], "z": [1.0], "pen": [b"a"], "y": [1.5]},
        {"image": [encoded("RGB", (20, 10), "JPEG", (0, 0, 0))], "z": [2.0], "pen": [b"b"],
         "y": [2.5]},
        {"image": [encoded("RGB", (3, 5), "PNG", (255, 255, 255))], "z": [3.0], "pen": [b"a"],
         "y": [3.5]},
        {"image": [encoded("LA", (9, 9), "PNG", (51, 255))], "z": [6.0], "pen": [b"a"],
         "y": [4.5]},
    ]
    return run_transform(raw, digits_features, tmp_path_factory.mktemp("tft"))


def test_numeric_z_scores_use_full_pass_statistics(transformed):
    rows, _ = transformed
    z = np.array([row["z"] for row in rows]).ravel()
    raw = np.array([1.0, 2.0, 3.0, 6.0])
    np.testing.assert_allclose(z, (raw - raw.mean()) / raw.std(), rtol=1e-5)
    assert abs(z.mean()) < 1e-6 and abs(z.std() - 1.0) < 1e-5


def test_vocabulary_ids_by_frequency(transformed):
    rows, output = transformed
    assert [int(row["pen"][0]) for row in rows] == [0, 1, 0, 0]  # "a" is most frequent
    assert output.vocabulary_size_by_name(preprocessing.vocabulary_name("pen")) == 2


def test_a_category_outside_the_vocabulary_gets_the_oov_id(transformed):
    """A value the training data never held (accepted by the data gate under a schema's
    `min_domain_mass`, or met at serving) maps to the out-of-vocabulary bucket."""
    _, output = transformed
    raw = {"image": tf.constant([[encoded("L", (2, 2), "PNG", 0)]] * 2),
           "z": tf.constant([[1.0], [1.0]]), "pen": tf.constant([[b"a"], [b"never seen"]]),
           "y": tf.constant([[1.0], [1.0]])}
    ids = output.transform_features_layer()(raw)["pen"].numpy().ravel().tolist()
    assert ids == [0, 2]  # "a" is id 0 of the 2-value vocabulary; the OOV bucket is id 2
    assert preprocessing.NUM_OOV_BUCKETS == 1


def test_images_decoded_resized_and_scaled(transformed):
    rows, output = transformed
    images = np.stack([row["image"] for row in rows])
    assert images.shape == (4, HEIGHT, WIDTH, 1)
    assert images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_allclose(images[0], 1.0, atol=1e-6)   # white grayscale PNG
    np.testing.assert_allclose(images[1], 0.0, atol=0.02)   # black RGB JPEG -> 1 channel
    np.testing.assert_allclose(images[2], 1.0, atol=1e-6)   # upscaled from 3x5
    np.testing.assert_allclose(images[3], 0.2, atol=1e-6)   # gray+alpha PNG, 51/255
    spec = output.transformed_feature_spec()["image"]
    assert spec.shape == [HEIGHT, WIDTH, 1] and spec.dtype == tf.float32


def test_label_passes_through(transformed):
    rows, _ = transformed
    assert [float(row["y"][0]) for row in rows] == [1.5, 2.5, 3.5, 4.5]


def test_rgb_output_and_padding(tmp_path, digits_features):
    raw = [{"image": [encoded("RGB", (4, 2), "PNG", (255, 0, 0))], "z": [0.0], "pen": [b"a"],
            "y": [0.0]},
           {"image": [encoded("L", (4, 4), "PNG", 255)], "z": [1.0], "pen": [b"a"], "y": [0.0]}]
    rows, _ = run_transform(raw, digits_features, tmp_path, channels=3, resize_mode="pad")
    red = np.asarray(rows[0]["image"])
    assert red.shape == (HEIGHT, WIDTH, 3)
    # a 4x2 (w x h) image padded into 6x4 (h x w): rows of zeros above and below the red band
    np.testing.assert_allclose(red[0], 0.0)
    np.testing.assert_allclose(red[HEIGHT // 2, :, 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(red[HEIGHT // 2, :, 1:], 0.0, atol=1e-6)
    white = np.asarray(rows[1]["image"])  # square gray image into 6x4: one zero row each side
    np.testing.assert_allclose(white[1:HEIGHT - 1], 1.0, atol=1e-6)
    np.testing.assert_allclose(white[[0, HEIGHT - 1]], 0.0, atol=1e-6)


def test_settings_validation(digits_features):
    with pytest.raises(ValueError, match="resize_mode must be one of"):
        preprocessing.TransformSettings(features=digits_features, image_height=2, image_width=2,
                                        image_channels=1, resize_mode="crop")


def test_missing_numeric_values_are_imputed_before_scaling(tmp_path):
    schema = schemas.load_schema(schemas.dataset_schema_path("digits"))
    z = next(f for f in schema.feature if f.name == "z")
    z.ClearField("shape")
    z.presence.min_fraction = 0.5
    features = schemas.feature_set_from_schema(schema)
    assert features.get("z").required is False
    image = [encoded("L", (2, 2), "PNG", 0)]
    raw = [{"image": image, "z": value, "pen": [b"a"], "y": [0.0]}
           for value in ([2.0], [], [4.0], [], [9.0])]
    rows, _ = run_transform(raw, features, tmp_path, schema=schema)
    z_out = np.array([row["z"] for row in rows]).ravel()
    present = np.array([2.0, 4.0, 9.0])
    expected = (present - present.mean()) / present.std()
    np.testing.assert_allclose(z_out[[0, 2, 4]], expected, rtol=1e-5)
    np.testing.assert_allclose(z_out[[1, 3]], 0.0, atol=1e-6)  # the mean, scaled


def test_class_labels_become_ids_in_schema_order(tmp_path):
    schema = schemas.load_schema(schemas.dataset_schema_path("digit_classes"))
    features = schemas.feature_set_from_schema(schema)
    image = [encoded("L", (2, 2), "PNG", 0)]
    raw = [{"image": image, "digit": [name]} for name in (b"7", b"0", b"9", b"7")]
    rows, output = run_transform(raw, features, tmp_path, schema=schema)
    assert [int(row["digit"][0]) for row in rows] == [7, 0, 9, 7]
    spec = output.transformed_feature_spec()["digit"]
    assert spec.shape == [1] and spec.dtype == tf.int64


def test_class_ids_of_int_labels_and_values_outside_the_classes():
    ids = preprocessing.class_ids(tf.constant([[3], [5], [4], [9]], tf.int64), ("3", "4", "5"),
                                  schemas.DType.INT)
    assert ids.numpy().ravel().tolist() == [0, 2, 1, -1]
    ids = preprocessing.class_ids(tf.constant([[b"cat"], [b"owl"]]), ("dog", "cat"),
                                  schemas.DType.BYTES)
    assert ids.numpy().ravel().tolist() == [1, -1]


def test_missing_categorical_values_get_their_own_id(tmp_path):
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schemas.load_schema(schemas.dataset_schema_path("digits"))
    pen = next(f for f in schema.feature if f.name == "pen")
    pen.ClearField("shape")
    pen.presence.min_fraction = 0.5
    day = schema.feature.add(name="day", type=schema_pb2.INT)
    day.int_domain.is_categorical = True
    day.presence.min_fraction = 0.5
    features = schemas.feature_set_from_schema(schema)
    assert (features.get("pen").required, features.get("day").role) == (False,
                                                                        schemas.Role.CATEGORICAL)
    image = [encoded("L", (2, 2), "PNG", 0)]
    raw = [{"image": image, "z": [0.0], "pen": pen_value, "day": day_value, "y": [0.0]}
           for pen_value, day_value in (([b"a"], [7]), ([], [3]), ([b"b"], []), ([b"a"], [7]),
                                        ([], []))]
    rows, output = run_transform(raw, features, tmp_path, schema=schema)
    # 0: missing; then the vocabulary by frequency ("a", "b"; 7, 3) shifted by one
    assert [int(row["pen"][0]) for row in rows] == [1, 0, 2, 1, 0]
    assert [int(row["day"][0]) for row in rows] == [1, 2, 0, 1, 0]
    pen_feature = features.get("pen")
    assert preprocessing.category_id_count(pen_feature, output) == 2 + 1 + 1


def test_integer_and_string_categories_trace_in_one_process():
    """TF shares lookup tables by name across traces: an integer vocabulary traced after a
    string one (two pipelines in one process) must not conflict."""

    def fn(inputs):
        return {"c": preprocessing.index_category(inputs["c"], "c")}

    for dtype in (tf.string, tf.int64, tf.string):
        spec = {"c": tf.TensorSpec([None, 1], dtype)}
        assert tft.get_analyze_input_columns(fn, spec, force_tf_compat_v1=False) == ["c"]


@pytest.mark.parametrize("label_type, values", [
    ("BYTES", [b"owl", b"cat", b"emu", b"cat", b"owl", b"owl"]),
    ("INT", [7, 3, 12, 3, 7, 7]),
])
def test_open_label_domains_take_classes_from_the_data_in_a_stable_order(tmp_path, label_type,
                                                                         values):
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    domain = ("string_domain {}" if label_type == "BYTES" else "int_domain { is_categorical: true }")
    always = "shape { dim { size: 1 } } presence { min_fraction: 1 }"
    schema = text_format.Parse(
        f'feature {{ name: "image" type: BYTES image_domain {{}} {always} }}\n'
        f'feature {{ name: "y" type: {label_type} {domain} {always} annotation {{ tag: "label" }} }}',
        schema_pb2.Schema())
    features = schemas.feature_set_from_schema(schema)
    assert features.label.open_classes and features.task is schemas.Task.MULTICLASS
    image = [encoded("L", (2, 2), "PNG", 0)]
    names_by_run = []
    for run, order in enumerate((values, list(reversed(values[1:])))):  # other counts and order
        rows, output = run_transform([{"image": image, "y": [v]} for v in order], features,
                                     tmp_path / str(run), schema=schema)
        names = preprocessing.open_class_names(features.label, output)
        text = [v.decode() if isinstance(v, bytes) else str(v) for v in order]
        assert sorted(names) == sorted(set(text))
        assert [names[int(row["y"][0])] for row in rows] == text
        names_by_run.append(names)
    assert names_by_run[0] == names_by_run[1]  # ids do not depend on frequencies or order
