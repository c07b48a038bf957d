"""Export: a SavedModel whose signatures take raw serialized tf.Examples.

* `serving_default`: parse raw examples (no label), apply the Transform graph, run the model.
  Regression returns `prediction`; classifiers return `probabilities` ([batch, K], one column
  per class in the schema's class order), `class_id` (int64) and `class_name` (string), and
  binary classifiers also `positive_probability` (the second class's, what TFMA's binary metrics
  read).
* `transform_features`: parse raw examples (label included) and return the transformed features,
  for the Evaluator and for skew checks.

The root object is a plain `tf.Module`, so TFMA treats it as a generic SavedModel and needs no
`compile()`d Keras model. It holds the model's variables (`model_variables`, what a warm start
reads) and `model`, a function from the named transformed features to the model's raw outputs,
not the Keras model itself: saving a Keras model traces every layer's calls so that Keras can
revive them, about 40% of the export and a third of every load (benchmarks/RESULTS.md). A
classifier's class names, in id order, are also written to `assets.extra/class_names.json`
(TensorFlow's folder for files beside a SavedModel), so a warm start can tell whether the output
layer still means the same classes. The raw features `serving_default` parses, with their
types, are written to `assets.extra/serving_inputs.json` (`serving_inputs.py`), so the
Evaluator's baseline resolver can leave out a model that cannot read the candidate's examples.
"""

from __future__ import annotations

import json
import os
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tf_keras as keras
from absl import logging

from components.trainer.model import PREDICTION_KEY
from components.trainer.serving_inputs import record_serving_inputs
from components.trainer.task_head import TaskHead
from schemas import FeatureSet, Task

EXAMPLES_KEY = "examples"
TRANSFORM_SIGNATURE = "transform_features"
PROBABILITIES_KEY = "probabilities"
CLASS_ID_KEY = "class_id"
CLASS_NAME_KEY = "class_name"
POSITIVE_PROBABILITY_KEY = "positive_probability"
CLASS_NAMES_FILE = os.path.join("assets.extra", "class_names.json")
MODEL_VARIABLES = "model_variables"


def serving_outputs(head: TaskHead, outputs: tf.Tensor) -> Dict[str, tf.Tensor]:
    """The served tensors for the model's raw outputs (see the module docstring)."""
    if head.task is Task.REGRESSION:
        return {PREDICTION_KEY: outputs}
    probabilities = head.activation(outputs)
    class_id = tf.argmax(probabilities, axis=-1)
    served = {PROBABILITIES_KEY: probabilities, CLASS_ID_KEY: class_id,
              CLASS_NAME_KEY: tf.gather(tf.constant(head.class_names), class_id)}
    if head.task is Task.BINARY:
        served[POSITIVE_PROBABILITY_KEY] = probabilities[:, 1]
    return served


def export_serving_model(model: keras.Model, tf_transform_output, features: FeatureSet,
                         export_dir: str) -> None:
    """Writes the SavedModel with both signatures to `export_dir`."""
    head = TaskHead.for_features(features)
    module = tf.Module()
    attach_model(module, model)
    module.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = tf_transform_output.raw_feature_spec()
    input_names = [f.name for f in features.inputs]
    serving_spec = {name: raw_spec[name] for name in input_names}  # no label, no keys
    examples_spec = tf.TensorSpec([None], tf.string, name=EXAMPLES_KEY)

    @tf.function(input_signature=[examples_spec])
    def serve(examples):
        transformed = module.tft_layer(tf.io.parse_example(examples, serving_spec))
        outputs = model({name: transformed[name] for name in input_names}, training=False)
        return serving_outputs(head, outputs)

    @tf.function(input_signature=[examples_spec])
    def transform_features(examples):
        return module.tft_layer(tf.io.parse_example(examples, raw_spec))

    tf.saved_model.save(module, export_dir, signatures={
        "serving_default": serve, TRANSFORM_SIGNATURE: transform_features})
    record_serving_inputs(export_dir, {name: spec.dtype.name
                                       for name, spec in serving_spec.items()})
    if head.task.is_classification:
        record_class_names(export_dir, head.class_names)


def attach_model(module: tf.Module, model: keras.Model) -> None:
    """Gives `module` the model's variables and `model(features)`, the model's raw outputs on a
    dict of named transformed features (a `tf.function` with the model's input signature)."""
    setattr(module, MODEL_VARIABLES, list(model.variables))
    signature = {name: tf.TensorSpec(tensor.shape, tensor.dtype, name=name)
                 for name, tensor in model.input.items()}
    module.model = tf.function(lambda features: model(features, training=False),
                               input_signature=[signature])


def read_weights(model: keras.Model, export_dir: str,
                 row_sources: Optional[Mapping[str, np.ndarray]] = None) -> bool:
    """Sets `model`'s weights from an exported model of the same architecture: one exported by
    `attach_model` (every shape is checked before any weight is set), or, before it, one whose
    `model` was the Keras model itself. `row_sources` (variable name -> for each of its rows, the
    exported variable's row that holds its value, -1 to keep the row's own) lets those
    variables differ in their first dimension (`warm_start.py`: embeddings of a changed
    vocabulary; only in the `attach_model` layout). Returns whether it did."""
    row_sources = row_sources or {}
    path = os.path.join(export_dir, "variables", "variables")
    reader = tf.train.load_checkpoint(path)
    shapes = reader.get_variable_to_shape_map()
    keys = [variable_key(index) for index in range(len(model.variables) + 1)]
    if keys[0] in shapes:
        matches = keys[-1] not in shapes and all(
            _shapes_match(shapes.get(key), variable, row_sources.get(variable.name))
            for key, variable in zip(keys, model.variables))
        if matches:
            for key, variable in zip(keys, model.variables):
                value = reader.get_tensor(key)
                sources = row_sources.get(variable.name)
                if sources is not None:
                    value = np.where((sources >= 0)[:, None], value[np.maximum(sources, 0)],
                                     variable.numpy())
                variable.assign(value)
    elif row_sources:  # exported before `attach_model`: no variable differs there
        matches = False
    else:  # exported before `attach_model`: the Keras model itself at `model`
        try:
            tf.train.Checkpoint(model=model).read(path).assert_existing_objects_matched()
            matches = True
        except (AssertionError, ValueError):
            matches = False
    if not matches:
        logging.warning("Not warm-starting from %s: its variables are not this model's",
                        export_dir)
    return matches


def variable_key(index: int) -> str:
    """The checkpoint key of the model's `index`th variable in an `attach_model` export."""
    return f"{MODEL_VARIABLES}/{index}/.ATTRIBUTES/VARIABLE_VALUE"


def _shapes_match(exported: Optional[list], variable: tf.Variable,
                  sources: Optional[np.ndarray]) -> bool:
    """Whether an exported variable's shape fits `variable` (its first dimension may differ
    when its rows are mapped by `sources`, whose every source row exists)."""
    if exported is None:
        return False
    wanted = variable.shape.as_list()
    if sources is None:
        return exported == wanted
    return (exported[1:] == wanted[1:] and len(sources) == wanted[0]
            and int(sources.max(initial=-1)) < exported[0])


def record_class_names(export_dir: str, class_names: Sequence[str]) -> None:
    """Writes a classifier's class names (id order) beside its SavedModel."""
    path = os.path.join(export_dir, CLASS_NAMES_FILE)
    tf.io.gfile.makedirs(os.path.dirname(path))
    with tf.io.gfile.GFile(path, "w") as handle:
        json.dump(list(class_names), handle)


def recorded_class_names(export_dir: str) -> Optional[Tuple[str, ...]]:
    """The class names `record_class_names` wrote beside a SavedModel; None without them
    (a regression model, or one exported before they were recorded)."""
    path = os.path.join(export_dir, CLASS_NAMES_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as handle:
        return tuple(json.load(handle))
