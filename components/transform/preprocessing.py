"""tf.Transform preprocessing, driven entirely by the feature roles of the schema.

* numeric: z-score with mean and variance from a full pass over the analysis data (never per
  example: the std of one value is 0); missing values take the mean, i.e. become 0 after scaling.
* categorical: vocabulary computed over the data, plus out-of-vocabulary buckets; a missing value
  (optional feature) gets its own id, MISSING_ID, in training and serving alike.
* image: encoded PNG/JPEG bytes decoded in the graph (any channel count), converted to the
  configured channels, resized, and scaled explicitly from [0, 255] to float32 in [0, 1].
* label: a regression target passes through as float32; a class label becomes its class id, the
  position of its value among the schema's classes (int64; -1 for a value outside them, which
  the data gate has already stopped). An open domain's classes are the vocabulary of the label
  values in the analysis (training) split, ordered by fingerprint so that the same classes get
  the same ids in every run (-1 for a value the training split does not have).
* key: not transformed (used for splitting, never a model input).

Transformed features keep their raw names, so the model's `Input` names equal the dataset keys.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional

import tensorflow as tf
import tensorflow_transform as tft

from schemas import DType, Feature, FeatureSet, FeatureSettings, Role

NUM_OOV_BUCKETS = 1
MISSING_ID = 0  # the id of a missing value of an optional categorical feature
RESIZE_MODES = ("stretch", "pad")


@dataclasses.dataclass(frozen=True)
class TransformSettings(FeatureSettings):
    """What preprocessing_fn needs, passed as Transform's custom_config."""

    features: FeatureSet
    image_height: int
    image_width: int
    image_channels: int
    resize_mode: str = "stretch"
    code_fingerprint: str = ""

    def __post_init__(self):
        if self.resize_mode not in RESIZE_MODES:
            raise ValueError(f"resize_mode must be one of {RESIZE_MODES}, got {self.resize_mode!r}")


def vocabulary_name(feature_name: str) -> str:
    """The vocabulary file of a categorical feature (the Trainer reads its size by this name)."""
    return f"{feature_name}_vocab"


def _dense_float(x) -> tf.Tensor:
    """[batch, 1] float32; a missing value (sparse input) becomes NaN."""
    if isinstance(x, tf.SparseTensor):
        x = tft.sparse_tensor_to_dense_with_shape(
            tf.cast(x, tf.float32), [None, 1], default_value=float("nan"))
    return tf.reshape(tf.cast(x, tf.float32), [-1, 1])


def scale_numeric(x) -> tf.Tensor:
    """Z-score with full-pass mean/variance of the present values; missing values -> mean -> 0."""
    present = tf.cast(x.values if isinstance(x, tf.SparseTensor) else x, tf.float32)
    mean = tft.mean(present)
    std = tf.sqrt(tft.var(present))
    dense = _dense_float(x)
    imputed = tf.where(tf.math.is_nan(dense), mean, dense)
    return (imputed - mean) / tf.where(std > 0.0, std, 1.0)


def _as_text(x):
    """Integer categories as their decimal text, so every vocabulary is keyed by strings: TF
    shares a lookup table by name across the traces of one process, and an int64-keyed table
    traced after a string-keyed one of the same name fails ("Conflicting key/value dtypes")."""
    if x.dtype == tf.string:
        return x
    if isinstance(x, tf.SparseTensor):
        return tf.sparse.map_values(tf.strings.as_string, x)
    return tf.strings.as_string(x)


def index_category(x, feature_name: str) -> tf.Tensor:
    """[batch, 1] int64 ids from a vocabulary over the data; unseen values get OOV ids.

    An optional feature arrives as a SparseTensor: its ids are shifted by one so that a missing
    value gets id MISSING_ID (0), apart from every value and from the OOV bucket."""
    x = _as_text(x)
    if isinstance(x, tf.SparseTensor):
        ids = tft.compute_and_apply_vocabulary(x, num_oov_buckets=NUM_OOV_BUCKETS,
                                               vocab_filename=vocabulary_name(feature_name))
        return tft.sparse_tensor_to_dense_with_shape(
            ids, [None, 1], default_value=MISSING_ID - 1) + 1
    return tft.compute_and_apply_vocabulary(
        tf.reshape(x, [-1, 1]), num_oov_buckets=NUM_OOV_BUCKETS,
        vocab_filename=vocabulary_name(feature_name))


def class_ids(labels, class_names, dtype: DType) -> tf.Tensor:
    """[batch, 1] int64: each raw label's position in `class_names` (the schema's classes; for
    an INT label, numbers as text), -1 for a value outside them."""
    if isinstance(labels, tf.SparseTensor):
        labels = tf.sparse.to_dense(labels)
    if dtype is DType.BYTES:
        classes = tf.constant(list(class_names), tf.string)
    else:
        classes = tf.constant([int(name) for name in class_names], tf.int64)
        labels = tf.cast(labels, tf.int64)
    matches = tf.equal(tf.reshape(labels, [-1, 1]), classes[tf.newaxis, :])
    ids = tf.argmax(tf.cast(matches, tf.int64), axis=1)
    return tf.reshape(tf.where(tf.reduce_any(matches, axis=1), ids, -1), [-1, 1])


def open_class_ids(labels, feature_name: str) -> tf.Tensor:
    """[batch, 1] int64 ids of an open-domain label: its position in the vocabulary of the
    analysis data's label values (fingerprint order), -1 for a value outside it."""
    if isinstance(labels, tf.SparseTensor):
        labels = tf.sparse.to_dense(labels)
    text = tf.reshape(_as_text(labels), [-1])
    vocabulary = tft.vocabulary(text, fingerprint_shuffle=True,
                                vocab_filename=vocabulary_name(feature_name))
    return tf.reshape(tft.apply_vocabulary(text, vocabulary, default_value=-1), [-1, 1])


def open_class_names(label: Feature, tf_transform_output) -> tuple:
    """The classes `open_class_ids` found for an open-domain label, in id order."""
    return tuple(value.decode("utf-8") for value in
                 tf_transform_output.vocabulary_by_name(vocabulary_name(label.name)))


def category_id_count(feature: Feature, tf_transform_output) -> int:
    """How many ids `index_category` gives a categorical feature: its vocabulary, the OOV
    buckets, and the missing id of an optional feature (the model's embedding size)."""
    return (tf_transform_output.vocabulary_size_by_name(vocabulary_name(feature.name))
            + NUM_OOV_BUCKETS + (0 if feature.required else 1))


def decode_images(encoded: tf.Tensor, height: int, width: int, channels: int,
                  resize_mode: str = "stretch") -> tf.Tensor:
    """Encoded PNG/JPEG bytes [batch, 1] -> float32 [batch, height, width, channels] in [0, 1]."""

    def decode_one(data: tf.Tensor) -> tf.Tensor:
        image = tf.io.decode_image(data, channels=channels, expand_animations=False)
        image.set_shape([None, None, channels])
        if resize_mode == "pad":
            image = tf.image.resize_with_pad(image, height, width)
        else:
            image = tf.image.resize(image, [height, width])
        # resize returns float32 still on the uint8 scale: scale explicitly (no dtype tricks).
        return tf.clip_by_value(image / 255.0, 0.0, 1.0)

    flat = tf.reshape(encoded, [-1])
    return tf.map_fn(decode_one, flat,
                     fn_output_signature=tf.TensorSpec([height, width, channels], tf.float32))


def preprocessing_fn(inputs: Dict[str, Any], custom_config: Optional[Dict[str, Any]] = None):
    """tf.Transform entry point (passed to TFX Transform by dotted path)."""
    if not custom_config:
        raise ValueError("preprocessing_fn needs custom_config with the TransformSettings")
    settings = TransformSettings.from_dict(custom_config)
    outputs = {}
    for feature in settings.features.features:
        value = inputs[feature.name]
        if feature.role is Role.NUMERIC:
            outputs[feature.name] = scale_numeric(value)
        elif feature.role is Role.CATEGORICAL:
            outputs[feature.name] = index_category(value, feature.name)
        elif feature.role is Role.IMAGE:
            outputs[feature.name] = decode_images(
                value, settings.image_height, settings.image_width, settings.image_channels,
                settings.resize_mode)
        elif feature.role is Role.KEY:
            continue
        elif feature.open_classes:
            outputs[feature.name] = open_class_ids(value, feature.name)
        elif feature.classes is not None:
            outputs[feature.name] = class_ids(value, feature.classes, feature.dtype)
        else:
            outputs[feature.name] = _dense_float(value)
    return outputs
