"""The functional Keras model: one named `Input` per transformed feature, derived from the schema.

Uses `tf_keras` (Keras 2), the flavour tf.Transform 1.16 builds its layers on, so the exported
model and the Transform layer live in one Keras.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Mapping, Optional

import tensorflow as tf
import tf_keras as keras

from schemas import FeatureSet, Role

PREDICTION_KEY = "prediction"


class InputMismatchError(ValueError):
    """The model's input names differ from the dataset's feature keys."""


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


Builder = Callable[[Dict[str, tf.Tensor]], tf.Tensor]


def build_model(features: FeatureSet, transformed_spec: Mapping[str, tf.io.FixedLenFeature],
                vocabulary_sizes: Mapping[str, int], builder: Optional[Builder] = None
                ) -> keras.Model:
    """The functional model: named inputs from the schema, then `builder` (a function from the
    dict of named inputs to the output tensor) or, by default, `default_body`."""
    inputs = model_inputs(features, transformed_spec)
    if builder is None:
        output = default_body(features, inputs, vocabulary_sizes)
    else:
        output = builder(dict(inputs))
    return keras.Model(inputs=inputs, outputs=output, name="multimodal_regressor")


def default_body(features: FeatureSet, inputs: Mapping[str, tf.Tensor],
                 vocabulary_sizes: Mapping[str, int], embedding_dim: int = 4) -> tf.Tensor:
    """Image towers, category embeddings and numeric columns, concatenated into a regression head.

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
    return keras.layers.Dense(1, name=PREDICTION_KEY)(x)


def check_inputs_match(model: keras.Model, dataset_keys) -> None:
    """Fails with the missing and unexpected keys when model inputs and dataset keys differ."""
    model_names = set(model.input_names)
    keys = set(dataset_keys)
    if model_names != keys:
        raise InputMismatchError(
            "model inputs do not match the dataset's feature keys: "
            f"missing from the dataset {sorted(model_names - keys)}, "
            f"unexpected in the dataset {sorted(keys - model_names)}")
