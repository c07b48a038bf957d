"""The exported model: what `attach_model` saves, and reading its weights back for a warm start
(also from a model exported before it, which held the Keras model itself)."""

import logging

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras
from tensorflow.core.protobuf import saved_model_pb2

from components.trainer import export, model

SPEC = {
    "image": tf.io.FixedLenFeature([4, 4, 1], tf.float32),
    "z": tf.io.FixedLenFeature([1], tf.float32),
    "pen": tf.io.FixedLenFeature([1], tf.int64),
}
FEATURES = {"image": tf.reshape(tf.range(32, dtype=tf.float32) / 32.0, [2, 4, 4, 1]),
            "z": tf.constant([[0.5], [-1.0]]), "pen": tf.constant([[0], [2]], tf.int64)}


def build(features, seed, image_size=4):
    keras.utils.set_random_seed(seed)
    spec = dict(SPEC, image=tf.io.FixedLenFeature([image_size, image_size, 1], tf.float32))
    return model.build_model(features, spec, {"pen": 3})


def exported_now(path, keras_model):
    """A SavedModel holding what `attach_model` attaches, as the Trainer exports."""
    module = tf.Module()
    export.attach_model(module, keras_model)
    tf.saved_model.save(module, str(path))
    return str(path)


def exported_before(path, keras_model):
    """A SavedModel as the Trainer exported before `attach_model`: the Keras model itself."""
    module = tf.Module()
    module.model = keras_model
    tf.saved_model.save(module, str(path))
    return str(path)


def saved_object_identifiers(export_dir):
    proto = saved_model_pb2.SavedModel()
    with open(f"{export_dir}/saved_model.pb", "rb") as handle:
        proto.ParseFromString(handle.read())
    return {node.user_object.identifier for node in proto.meta_graphs[0].object_graph_def.nodes
            if node.WhichOneof("kind") == "user_object"}


def test_the_exported_model_function_computes_what_the_keras_model_does(
        tmp_path, digits_features):
    trained = build(digits_features, seed=0)
    exported = exported_now(tmp_path / "exported", trained)
    loaded = tf.saved_model.load(exported)
    np.testing.assert_allclose(loaded.model(FEATURES).numpy(),
                               trained(FEATURES, training=False).numpy(), atol=1e-6)
    # no Keras objects to revive: saving did not trace the layers' calls
    assert not any(name.startswith("_tf_keras") for name in saved_object_identifiers(exported))
    assert any(name.startswith("_tf_keras") for name in saved_object_identifiers(
        exported_before(tmp_path / "before", trained)))  # what the check would see


@pytest.mark.parametrize("export_layout", [exported_now, exported_before])
def test_warm_start_reads_the_weights_of_either_export_layout(
        tmp_path, digits_features, export_layout):
    trained = build(digits_features, seed=0)
    exported = export_layout(tmp_path / "exported", trained)
    fresh = build(digits_features, seed=1)
    assert not np.allclose(fresh.get_weights()[0], trained.get_weights()[0])
    assert export.read_weights(fresh, exported)
    for got, want in zip(fresh.get_weights(), trained.get_weights()):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("export_layout", [exported_now, exported_before])
def test_weights_of_another_architecture_are_not_read(
        tmp_path, digits_features, caplog, export_layout):
    other = build(digits_features, seed=0, image_size=8)  # the image tower's dense layer differs
    exported = export_layout(tmp_path / "exported", other)
    fresh = build(digits_features, seed=1)
    before = [weights.copy() for weights in fresh.get_weights()]
    with caplog.at_level(logging.WARNING):
        assert not export.read_weights(fresh, exported)
    assert f"Not warm-starting from {exported}: its variables are not this model's" in caplog.text
    if export_layout is exported_now:  # every shape is checked before any weight is set
        for got, want in zip(fresh.get_weights(), before):
            np.testing.assert_array_equal(got, want)
