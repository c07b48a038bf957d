"""Export: a SavedModel whose signatures take raw serialized tf.Examples.

* `serving_default`: parse raw examples (no label), apply the Transform graph, run the model.
* `transform_features`: parse raw examples (label included) and return the transformed features,
  for the Evaluator and for skew checks.

The root object is a plain `tf.Module` holding the Keras model, so TFMA treats it as a generic
SavedModel and needs no `compile()`d Keras model.
"""

from __future__ import annotations

import tensorflow as tf
import tf_keras as keras

from components.trainer.model import PREDICTION_KEY
from schemas import FeatureSet

EXAMPLES_KEY = "examples"
TRANSFORM_SIGNATURE = "transform_features"


def export_serving_model(model: keras.Model, tf_transform_output, features: FeatureSet,
                         export_dir: str) -> None:
    """Writes the SavedModel with both signatures to `export_dir`."""
    module = tf.Module()
    module.model = model
    module.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = tf_transform_output.raw_feature_spec()
    serving_spec = {name: spec for name, spec in raw_spec.items() if name != features.label.name}
    input_names = [f.name for f in features.inputs]
    examples_spec = tf.TensorSpec([None], tf.string, name=EXAMPLES_KEY)

    @tf.function(input_signature=[examples_spec])
    def serve(examples):
        transformed = module.tft_layer(tf.io.parse_example(examples, serving_spec))
        predictions = module.model({name: transformed[name] for name in input_names},
                                   training=False)
        return {PREDICTION_KEY: predictions}

    @tf.function(input_signature=[examples_spec])
    def transform_features(examples):
        return module.tft_layer(tf.io.parse_example(examples, raw_spec))

    tf.saved_model.save(module, export_dir, signatures={
        "serving_default": serve, TRANSFORM_SIGNATURE: transform_features})
