"""The task head: losses from logits with exact values, class weights, metrics, the served
outputs, and classifiers that learn in the custom loop."""

import math

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from components.trainer import data, export, loop, model
from components.trainer.task_head import TaskHead, balanced_class_weights
from schemas import DType, Feature, FeatureSet, Role, Task

SPEC = {
    "z": tf.io.FixedLenFeature([1], tf.float32),
    "pen": tf.io.FixedLenFeature([1], tf.int64),
    "y": tf.io.FixedLenFeature([1], tf.int64),
}


def classifier_features(classes):
    return FeatureSet((Feature("z", Role.NUMERIC, DType.FLOAT),
                       Feature("pen", Role.CATEGORICAL, DType.BYTES),
                       Feature("y", Role.LABEL, DType.BYTES, classes=tuple(classes))))


def write_records(path, count, label_of, seed=0):
    """Transformed-looking examples: z ~ N(0, 1), pen in {0, 1, 2}, y = label_of(z, pen)."""
    rng = np.random.default_rng(seed)
    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for _ in range(count):
            z, pen = float(rng.normal()), int(rng.integers(0, 3))
            feature = {
                "z": tf.train.Feature(float_list=tf.train.FloatList(value=[z])),
                "pen": tf.train.Feature(int64_list=tf.train.Int64List(value=[pen])),
                "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[label_of(z, pen)])),
            }
            writer.write(tf.train.Example(
                features=tf.train.Features(feature=feature)).SerializeToString())
    return str(path)


def test_output_units_and_task_from_the_schema():
    assert TaskHead.for_features(classifier_features("abc")).output_units == 3
    assert TaskHead.for_features(classifier_features(["no", "yes"])).output_units == 1
    assert TaskHead(Task.REGRESSION).output_units == 1


def test_losses_from_logits_exact_values():
    binary = TaskHead(Task.BINARY, ("no", "yes"))
    losses = binary.per_example_loss(tf.constant([[1], [0]]), tf.constant([[0.0], [0.0]]))
    np.testing.assert_allclose(losses.numpy(), [math.log(2)] * 2, rtol=1e-6)
    multiclass = TaskHead(Task.MULTICLASS, ("a", "b", "c"))
    losses = multiclass.per_example_loss(tf.constant([[2]]), tf.zeros([1, 3]))
    np.testing.assert_allclose(losses.numpy(), [math.log(3)], rtol=1e-6)
    regression = TaskHead(Task.REGRESSION)
    losses = regression.per_example_loss(tf.constant([[3.0]]), tf.constant([[1.0]]))
    np.testing.assert_allclose(losses.numpy(), [4.0])


def test_class_weights_scale_each_examples_loss():
    assert balanced_class_weights([30, 10, 0]) == pytest.approx((40 / 90, 40 / 30, 0.0))
    weighted = TaskHead(Task.MULTICLASS, ("a", "b", "c"), class_weights=(1.0, 3.0, 0.5))
    losses = weighted.per_example_loss(tf.constant([[0], [1], [2]]), tf.zeros([3, 3]))
    np.testing.assert_allclose(losses.numpy(), np.array([1.0, 3.0, 0.5]) * math.log(3),
                               rtol=1e-6)


def test_label_counts_per_class(tmp_path):
    path = write_records(tmp_path / "a.gz", 50, lambda z, pen: pen)
    counts = data.label_counts(path, "y", 4)
    rng = np.random.default_rng(0)
    pens = [(rng.normal(), int(rng.integers(0, 3)))[1] for _ in range(50)]
    assert counts == [pens.count(0), pens.count(1), pens.count(2), 0]


def test_served_outputs_of_a_classifier():
    multiclass = TaskHead(Task.MULTICLASS, ("cat", "dog", "emu"))
    served = export.serving_outputs(multiclass, tf.constant([[0.0, 2.0, 1.0], [5.0, 0.0, 0.0]]))
    assert served["class_id"].numpy().tolist() == [1, 0]
    assert served["class_name"].numpy().tolist() == [b"dog", b"cat"]
    np.testing.assert_allclose(served["probabilities"].numpy().sum(axis=1), [1.0, 1.0], rtol=1e-6)
    binary = TaskHead(Task.BINARY, ("ham", "spam"))
    served = export.serving_outputs(binary, tf.constant([[0.0], [3.0]]))
    np.testing.assert_allclose(served["probabilities"].numpy()[0], [0.5, 0.5])
    np.testing.assert_allclose(served["positive_probability"].numpy(),
                               [0.5, 1 / (1 + math.exp(-3))], rtol=1e-6)
    assert served["class_name"].numpy().tolist()[1] == b"spam"


def test_custom_builder_is_told_the_task_and_class_count():
    features = classifier_features("abcd")
    seen = {}

    def builder(inputs, head):
        seen.update(task=head.task, classes=head.num_classes)
        return keras.layers.Dense(head.output_units)(inputs["z"])

    keras_model = model.build_model(features, SPEC, {"pen": 4}, builder=builder)
    assert seen == {"task": Task.MULTICLASS, "classes": 4}
    assert keras_model.output_shape == (None, 4)
    with pytest.raises(model.OutputShapeError, match="width 1; the multiclass task needs 4"):
        model.build_model(features, SPEC, {"pen": 4},
                          builder=lambda inputs: keras.layers.Dense(1)(inputs["z"]))


@pytest.mark.parametrize("classes, label_of, metric, floor", [
    ("abc", lambda z, pen: pen, "eval_accuracy", 0.95),
    (["low", "high"], lambda z, pen: int(z > 0), "eval_auc", 0.95),
])
def test_classifiers_learn_in_the_custom_loop(tmp_path, classes, label_of, metric, floor):
    features = classifier_features(classes)
    head = TaskHead.for_features(features)
    train_path = write_records(tmp_path / "train.gz", 256, label_of, seed=0)
    eval_path = write_records(tmp_path / "eval.gz", 64, label_of, seed=1)
    keras.utils.set_random_seed(0)
    keras_model = model.build_model(features, SPEC, {"pen": 4}, head)
    train_ds = data.make_dataset(train_path, SPEC, "y", 32, shuffle=True, seed=0, repeat=True)
    eval_ds = data.make_dataset(eval_path, SPEC, "y", 32, shuffle=False)
    settings = loop.LoopSettings(train_steps=200, eval_steps=2, eval_every=100,
                                 learning_rate=1e-2, global_batch_size=32)
    result = loop.train(keras_model, train_ds, eval_ds, settings, head=head)
    last = result.history[-1]
    assert set(last) == {"step", "train_loss", "eval_loss", *head.metric_names}
    assert last[metric] >= floor
    assert last["eval_loss"] < result.history[0]["eval_loss"] or last["eval_loss"] < 0.1


def analyzed_labels(tmp_path, labels):
    """A real TFTransformOutput of preprocessing_fn over rows with these labels (open domain)."""
    import tensorflow_transform as tft
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

    from components.transform import preprocessing

    features = FeatureSet((Feature("z", Role.NUMERIC, DType.FLOAT),
                           Feature("y", Role.LABEL, DType.BYTES, classes=(), open_classes=True)))
    settings = preprocessing.TransformSettings(features, image_height=1, image_width=1,
                                               image_channels=1)
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec({
        "z": tf.io.FixedLenFeature([1], tf.float32), "y": tf.io.FixedLenFeature([1], tf.string)}))
    rows = [{"z": [float(i)], "y": [label]} for i, label in enumerate(labels)]
    with tft_beam.Context(temp_dir=str(tmp_path / "tmp"), force_tf_compat_v1=False):
        transform_fn = (rows, metadata) | tft_beam.AnalyzeDataset(
            lambda inputs: preprocessing.preprocessing_fn(inputs, settings.to_dict()))
        _ = transform_fn | tft_beam.WriteTransformFn(str(tmp_path / "out"))
    return features, tft.TFTransformOutput(str(tmp_path / "out"))


def test_trainer_fills_in_open_classes_from_transform_and_refuses_one_class(tmp_path):
    from components.errors import DataError
    from components.trainer.run import TrainerSettings, with_data_classes

    features, output = analyzed_labels(tmp_path / "two", [b"spam", b"ham", b"spam"])
    settings = with_data_classes(TrainerSettings(features, batch_size=2, learning_rate=0.1),
                                 output)
    assert sorted(settings.features.class_names) == ["ham", "spam"]
    head = TaskHead.for_features(settings.features)
    assert (head.task, head.output_units) == (Task.MULTICLASS, 2)  # softmax over the two
    features, output = analyzed_labels(tmp_path / "one", [b"spam", b"spam"])
    with pytest.raises(DataError, match=r"^label 'y' has 1 class in the training split "
                                        r"\(\['spam'\]\); classification needs at least two$"):
        with_data_classes(TrainerSettings(features, batch_size=2, learning_rate=0.1), output)
