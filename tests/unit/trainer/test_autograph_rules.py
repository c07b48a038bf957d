"""AutoGraph skips TF-Keras's and tf.Transform's own code once the rules are added, and still
converts a user's layer (Python control flow on tensors keeps working inside the traced train
step)."""

import tensorflow as tf
import tf_keras as keras
from tensorflow.python.autograph.core import config
from tensorflow.python.autograph.impl import conversion
from tensorflow_transform import output_wrapper
from tensorflow_transform.saved import saved_transform_io_v2

from components.trainer.autograph_rules import keep_autograph_out_of_libraries


class ClipNegatives(keras.layers.Layer):
    """A user's layer whose `call` branches on a tensor: needs AutoGraph inside a tf.function."""

    def call(self, inputs):
        if tf.reduce_min(inputs) < 0:
            return tf.maximum(inputs, 0.0)
        return inputs


def test_the_libraries_are_left_alone_and_each_rule_is_added_once():
    assert keep_autograph_out_of_libraries()
    assert keep_autograph_out_of_libraries()
    rules = [str(r) for r in config.CONVERSION_RULES]
    assert rules.count("DoNotConvert rule for tf_keras") == 1
    assert rules.count("DoNotConvert rule for tensorflow_transform") == 1
    assert conversion.is_allowlisted(keras.layers.Dense.call)
    assert conversion.is_allowlisted(keras.Model.__call__)
    assert conversion.is_allowlisted(output_wrapper.TransformFeaturesLayer.call)
    assert conversion.is_allowlisted(saved_transform_io_v2.SavedModelLoader.apply_transform_model)
    assert not conversion.is_allowlisted(ClipNegatives.call)


def test_a_users_layer_with_tensor_control_flow_still_trains_in_a_traced_step():
    keep_autograph_out_of_libraries()
    inputs = keras.Input(shape=(2,), name="x")
    model = keras.Model(inputs, keras.layers.Dense(1)(ClipNegatives()(inputs)))
    optimizer = keras.optimizers.SGD(0.1)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x, training=True) - y) ** 2)
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                      model.trainable_variables))
        return loss

    x = tf.constant([[-1.0, 2.0], [3.0, -4.0]])
    first = float(train_step(x, tf.constant([[1.0], [2.0]])))
    later = float(train_step(x, tf.constant([[1.0], [2.0]])))
    assert later < first
    assert model(x).shape == (2, 1)
