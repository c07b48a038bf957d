"""Trainer pieces: named inputs from the schema, the dict-keyed reader, the custom loop."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from components.trainer import data, loop, model

SPEC = {
    "image": tf.io.FixedLenFeature([4, 4, 1], tf.float32),
    "z": tf.io.FixedLenFeature([1], tf.float32),
    "pen": tf.io.FixedLenFeature([1], tf.int64),
    "y": tf.io.FixedLenFeature([1], tf.float32),
}


def write_records(path, count, seed=0):
    """Transformed-looking examples whose label is y = 3 * z + pen + mean(image)."""
    rng = np.random.default_rng(seed)
    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for index in range(count):
            image = rng.random((4, 4, 1)).astype(np.float32)
            z = float(rng.normal())
            pen = int(rng.integers(0, 3))
            y = 3.0 * z + pen + float(image.mean())
            feature = {
                "image": tf.train.Feature(float_list=tf.train.FloatList(value=image.ravel())),
                "z": tf.train.Feature(float_list=tf.train.FloatList(value=[z])),
                "pen": tf.train.Feature(int64_list=tf.train.Int64List(value=[pen])),
                "y": tf.train.Feature(float_list=tf.train.FloatList(value=[y])),
                "index": tf.train.Feature(int64_list=tf.train.Int64List(value=[index])),
            }
            writer.write(tf.train.Example(
                features=tf.train.Features(feature=feature)).SerializeToString())
    return str(path)


def test_model_has_one_named_input_per_feature(digits_features):
    keras_model = model.build_model(digits_features, SPEC, {"pen": 4})
    assert sorted(keras_model.input_names) == ["image", "pen", "z"]
    shapes = {t.name.split(":")[0]: tuple(t.shape) for t in keras_model.inputs}
    assert shapes == {"image": (None, 4, 4, 1), "z": (None, 1), "pen": (None, 1)}
    assert keras_model.output_shape == (None, 1)


def test_input_mismatch_lists_missing_and_unexpected_keys(digits_features):
    keras_model = model.build_model(digits_features, SPEC, {"pen": 4})
    model.check_inputs_match(keras_model, ["image", "z", "pen"])
    with pytest.raises(model.InputMismatchError) as raised:
        model.check_inputs_match(keras_model, ["image", "z_xf", "pen"])
    assert "missing from the dataset ['z']" in str(raised.value)
    assert "unexpected in the dataset ['z_xf']" in str(raised.value)


def test_reader_yields_dict_keyed_batches_shuffled_before_batching(tmp_path):
    path = write_records(tmp_path / "a.gz", 64)
    spec = dict(SPEC, index=tf.io.FixedLenFeature([1], tf.int64))
    dataset = data.make_dataset(path, spec, "y", batch_size=8, shuffle=True, seed=1)
    batches = list(dataset)
    features, labels = batches[0]
    assert set(features) == {"image", "z", "pen", "index"}
    assert features["image"].shape == (8, 4, 4, 1) and labels.shape == (8, 1)
    indices = [b[0]["index"].numpy().ravel().tolist() for b in batches]
    assert sorted(sum(indices, [])) == list(range(64))
    # shuffled before batching: a batch mixes examples from far apart, not 8 consecutive ones
    assert any(max(batch) - min(batch) > 8 for batch in indices)


def test_reader_without_shuffle_keeps_order_and_partial_batch(tmp_path):
    path = write_records(tmp_path / "a.gz", 10)
    spec = dict(SPEC, index=tf.io.FixedLenFeature([1], tf.int64))
    batches = list(data.make_dataset(path, spec, "y", batch_size=4, shuffle=False))
    assert [b[0]["index"].numpy().ravel().tolist() for b in batches] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_custom_loop_learns_and_traces_once(tmp_path, digits_features):
    train_path = write_records(tmp_path / "train.gz", 256, seed=0)
    eval_path = write_records(tmp_path / "eval.gz", 64, seed=1)
    keras.utils.set_random_seed(0)
    keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    train_ds = data.make_dataset(train_path, SPEC, "y", 32, shuffle=True, seed=0, repeat=True)
    eval_ds = data.make_dataset(eval_path, SPEC, "y", 32, shuffle=False)
    settings = loop.LoopSettings(train_steps=300, eval_steps=10, eval_every=100,
                                 learning_rate=1e-2)
    history = loop.train(keras_model, train_ds, eval_ds, settings, log_dir=str(tmp_path / "tb"))
    assert [record["step"] for record in history] == [100, 200, 300]
    label_std = 3.2  # std of 3 z + pen + mean(image): the mean predictor's RMSE
    assert history[-1]["eval_rmse"] < 0.25 * label_std
    assert history[-1]["eval_loss"] < history[0]["eval_loss"]
    assert tf.io.gfile.glob(str(tmp_path / "tb" / "events.out.tfevents.*"))


def test_step_functions_do_not_retrace(digits_features):
    keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    batch = ({"image": tf.zeros([4, 4, 4, 1]), "z": tf.zeros([4, 1]),
              "pen": tf.zeros([4, 1], tf.int64)}, tf.zeros([4, 1]))
    spec = tf.nest.map_structure(lambda t: tf.TensorSpec([None] + t.shape[1:], t.dtype), batch)
    steps = loop.make_step_functions(keras_model, keras.optimizers.Adam(), spec, spec)
    for size in (4, 2, 3):
        sized = tf.nest.map_structure(lambda t, n=size: t[:n], batch)
        steps.train_step(*sized)
        steps.eval_step(*sized)
    assert steps.train_step.experimental_get_tracing_count() == 1
    assert steps.eval_step.experimental_get_tracing_count() == 1
