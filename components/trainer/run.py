"""TFX Trainer entry point (`run_fn`, passed by dotted path): wires reader, model, loop, export."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Dict

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from absl import logging

from components.trainer import data, export, loop, model
from components.transform.preprocessing import NUM_OOV_BUCKETS, vocabulary_name
from schemas import FeatureSet, Role

HISTORY_FILE = "history.json"


@dataclasses.dataclass(frozen=True)
class TrainerSettings:
    """What run_fn needs beyond TFX's FnArgs, passed as the Trainer's custom_config."""

    features: FeatureSet
    batch_size: int
    learning_rate: float
    eval_every: int
    seed: int = 0
    code_fingerprint: str = ""

    def to_dict(self) -> Dict[str, Any]:
        return dict(dataclasses.asdict(self), features=self.features.to_json_list())

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "TrainerSettings":
        return cls(**dict(values, features=FeatureSet.from_json_list(values["features"])))


def run_fn(fn_args) -> None:
    """Trains the model with the custom loop and exports it to `fn_args.serving_model_dir`."""
    settings = TrainerSettings.from_dict(fn_args.custom_config)
    features = settings.features
    keras.utils.set_random_seed(settings.seed)
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    feature_spec = tf_transform_output.transformed_feature_spec()
    label_key = features.label.name

    train_dataset = data.make_dataset(fn_args.train_files, feature_spec, label_key,
                                      settings.batch_size, shuffle=True, seed=settings.seed,
                                      repeat=True)
    eval_dataset = data.make_dataset(fn_args.eval_files, feature_spec, label_key,
                                     settings.batch_size, shuffle=False)
    vocabulary_sizes = {
        f.name: tf_transform_output.vocabulary_size_by_name(vocabulary_name(f.name))
        + NUM_OOV_BUCKETS for f in features.with_role(Role.CATEGORICAL)}
    keras_model = model.build_model(features, feature_spec, vocabulary_sizes)
    model.check_inputs_match(keras_model, train_dataset.element_spec[0].keys())

    history = loop.train(
        keras_model, train_dataset, eval_dataset,
        loop.LoopSettings(train_steps=fn_args.train_steps, eval_steps=fn_args.eval_steps,
                          eval_every=settings.eval_every, learning_rate=settings.learning_rate),
        log_dir=os.path.join(fn_args.model_run_dir, "tensorboard"))
    tf.io.gfile.makedirs(fn_args.model_run_dir)
    with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, HISTORY_FILE), "w") as handle:
        json.dump(history, handle, indent=1)
    export.export_serving_model(keras_model, tf_transform_output, features,
                                fn_args.serving_model_dir)
    logging.info("Exported the model to %s", fn_args.serving_model_dir)
