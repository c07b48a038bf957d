"""The functional Keras model: one named `Input` per transformed feature, derived from the schema.

Uses `tf_keras` (Keras 2), the flavour tf.Transform 1.16 builds its layers on, so the exported
model and the Transform layer live in one Keras.
"""

from __future__ import annotations

import inspect
from typing import Callable, Dict, List, Mapping, Optional

import tensorflow as tf
import tf_keras as keras

from components.trainer.task_head import TaskHead
from schemas import FeatureSet, Role, Task

PREDICTION_KEY = "prediction"
LOGITS_KEY = "logits"


class InputMismatchError(ValueError):
    """The model's input names differ from the dataset's feature keys."""


class OutputShapeError(ValueError):
    """A model builder's output does not have the task's width."""


def model_inputs(features: FeatureSet, transformed_spec: Mapping[str, tf.io.FixedLenFeature]
                 ) -> Dict[str, keras.Input]:
    """One `keras.Input` per input feature, named like it, shaped like its transformed tensor."""
    inputs = {}
    for feature in features.inputs:
        spec = transformed_spec[feature.name]
        inputs[feature.name] = keras.Input(shape=tuple(spec.shape), dtype=spec.dtype,
                                           name=feature.name)
    return inputs


def _image_tower(image: tf.Tensor, name: str) -> tf.Tensor:
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name=f"{name}_conv1")(image)
    x = keras.layers.MaxPooling2D(name=f"{name}_pool1")(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name=f"{name}_conv2")(x)
    x = keras.layers.MaxPooling2D(name=f"{name}_pool2")(x)
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)  # keeps the layout: strokes' positions
    return keras.layers.Dense(64, activation="relu", name=f"{name}_dense")(x)


Builder = Callable[..., tf.Tensor]


def _call_builder(builder: Builder, inputs: Dict[str, tf.Tensor], head: TaskHead) -> tf.Tensor:
    """`builder(inputs, head)`, or `builder(inputs)` for a builder that takes one argument."""
    try:
        takes_head = len(inspect.signature(builder).parameters) >= 2
    except (TypeError, ValueError):  # a callable without a signature: assume the documented one
        takes_head = True
    return builder(inputs, head) if takes_head else builder(inputs)


def build_model(features: FeatureSet, transformed_spec: Mapping[str, tf.io.FixedLenFeature],
                vocabulary_sizes: Mapping[str, int], head: Optional[TaskHead] = None,
                builder: Optional[Builder] = None) -> keras.Model:
    """The functional model: named inputs from the schema, then `builder` or, by default,
    `default_body`.

    A builder is a function `build(inputs, head)` from the dict of named inputs to the output
    tensor: raw scores of width `head.output_units` (K logits for multiclass, one logit for
    binary, one value for regression); `head.task`, `head.num_classes` and `head.class_names`
    say what is predicted. A one-argument `build(inputs)` still works. `head` defaults to the
    schema's task without class weights.
    """
    head = head or TaskHead.for_features(features)
    inputs = model_inputs(features, transformed_spec)
    if builder is None:
        output = default_body(features, inputs, vocabulary_sizes, head)
    else:
        output = _call_builder(builder, dict(inputs), head)
        if output.shape[-1] != head.output_units:
            raise OutputShapeError(
                f"the model builder returned an output of width {output.shape[-1]}; the "
                f"{head.task.value} task needs {head.output_units} (head.output_units)")
    return keras.Model(inputs=inputs, outputs=output, name=f"multimodal_{head.task.value}")


def default_body(features: FeatureSet, inputs: Mapping[str, tf.Tensor],
                 vocabulary_sizes: Mapping[str, int], head: TaskHead,
                 embedding_dim: int = 4) -> tf.Tensor:
    """Image towers, category embeddings and numeric columns, concatenated into the task's head
    (`head.output_units` raw scores: a value, one logit or K logits).

    `vocabulary_sizes` maps each categorical feature to its id count (vocabulary + OOV buckets).
    """
    parts: List[tf.Tensor] = []
    for feature in features.inputs:
        tensor = inputs[feature.name]
        if feature.role is Role.IMAGE:
            parts.append(_image_tower(tensor, feature.name))
        elif feature.role is Role.CATEGORICAL:
            embedded = keras.layers.Embedding(vocabulary_sizes[feature.name], embedding_dim,
                                              name=f"{feature.name}_embedding")(tensor)
            parts.append(keras.layers.Flatten(name=f"{feature.name}_flat")(embedded))
        else:
            parts.append(tensor)
    x = keras.layers.Concatenate(name="features")(parts) if len(parts) > 1 else parts[0]
    x = keras.layers.Dense(64, activation="relu", name="hidden1")(x)
    x = keras.layers.Dense(32, activation="relu", name="hidden2")(x)
    name = PREDICTION_KEY if head.task is Task.REGRESSION else LOGITS_KEY
    return keras.layers.Dense(head.output_units, name=name)(x)


def check_inputs_match(model: keras.Model, dataset_keys) -> None:
    """Fails with the missing and unexpected keys when model inputs and dataset keys differ."""
    model_names = set(model.input_names)
    keys = set(dataset_keys)
    if model_names != keys:
        raise InputMismatchError(
            "model inputs do not match the dataset's feature keys: "
            f"missing from the dataset {sorted(model_names - keys)}, "
            f"unexpected in the dataset {sorted(keys - model_names)}")
