"""TFX Trainer entry point (`run_fn`, passed by dotted path): wires reader, model, loop, export.

Also picks the distribution strategy (`TF_CONFIG` with several workers -> multi-worker), keeps
checkpoints in a directory that outlives a killed Trainer execution (keyed by what is trained),
and warm-starts from the base model TFX passes in when one is given (`warm_start.py`: a
classifier only from one with the same classes in the same order; embedding rows follow each
categorical's values when its vocabulary changed). An open label domain gets its classes from
Transform's vocabulary here, before anything reads them. Next to the exported model,
`training.json` in the Trainer's model run directory records the eval history (and whether the
weights are its best round's or the last step's), the task, the
class names in id order (what run reports read) and the model it warm-started from, if any.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from typing import Optional

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from absl import logging

from components.trainer import data, export, loop, model
from components.trainer.autograph_rules import keep_autograph_out_of_libraries
from components.trainer.task_head import CLASS_WEIGHTS, TaskHead, balanced_class_weights
from components.errors import DataError
from components.trainer.warm_start import warm_start
from components.transform.preprocessing import (category_id_count, open_class_names,
                                                vocabulary_name)
from schemas import FeatureSet, FeatureSettings, Role

TRAINING_RECORD = "training.json"
CHECKPOINTS_DIR = "checkpoints"
DISTRIBUTIONS = ("auto", "default", "mirrored", "multi_worker")


@dataclasses.dataclass(frozen=True)
class TrainerSettings(FeatureSettings):
    """What run_fn needs beyond TFX's FnArgs, passed as the Trainer's custom_config."""

    features: FeatureSet
    batch_size: int
    learning_rate: float
    seed: int = 0
    clip_norm: Optional[float] = None
    early_stopping_patience: int = 0
    checkpoint_every: int = 100
    steps_per_execution: int = 50
    reader_cache_mb: float = data.CACHE_LIMIT_BYTES / 2**20
    distribution: str = "auto"
    model_builder: Optional[str] = None
    class_weights: str = "none"
    code_fingerprint: str = ""

    def __post_init__(self):
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, "
                             f"got {self.distribution!r}")
        if self.class_weights not in CLASS_WEIGHTS:
            raise ValueError(f"class_weights must be one of {CLASS_WEIGHTS}, "
                             f"got {self.class_weights!r}")


def cluster_workers() -> int:
    """Number of workers in TF_CONFIG's cluster (1 without TF_CONFIG)."""
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", [])) or 1


def choose_strategy(distribution: str) -> tf.distribute.Strategy:
    """The tf.distribute strategy for a `distribution` setting ("auto" decides from the machine)."""
    if distribution == "auto":
        if cluster_workers() > 1:
            distribution = "multi_worker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            distribution = "mirrored"
        else:
            distribution = "default"
    if distribution == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if distribution == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the real outputs (always, unless multi-worker)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict())


def shard_by_files_or_data(dataset: tf.data.Dataset, file_patterns, workers: int
                           ) -> tf.data.Dataset:
    """Shard by file when every worker gets at least one file, else by example (DATA)."""
    files = [path for pattern in file_patterns for path in tf.io.gfile.glob(pattern)]
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.FILE if len(files) >= workers
        else tf.data.experimental.AutoShardPolicy.DATA)
    return dataset.with_options(options)


def checkpoint_dir(fn_args, settings: TrainerSettings) -> str:
    """A directory that a re-run of the same training job finds again.

    TFX gives every Trainer execution a new `model_run_dir`; a killed execution's checkpoints
    would be lost there. The key covers the inputs and settings, so only the same job resumes.
    """
    key = hashlib.sha256(json.dumps({
        "transform": fn_args.transform_output, "train": fn_args.train_files,
        "steps": fn_args.train_steps, "base": getattr(fn_args, "base_model", None),
        "settings": settings.to_dict()}, sort_keys=True).encode()).hexdigest()[:16]
    trainer_root = os.path.dirname(os.path.dirname(fn_args.model_run_dir.rstrip("/")))
    return os.path.join(trainer_root, CHECKPOINTS_DIR, key)


def loop_settings(settings: TrainerSettings, train_steps: int, eval_steps: int
                  ) -> loop.LoopSettings:
    """The loop's settings: the steps TFX passes in, the rest from the Trainer's settings."""
    shared = {f.name for f in dataclasses.fields(loop.LoopSettings)} & {
        f.name for f in dataclasses.fields(TrainerSettings)}
    return loop.LoopSettings(train_steps=train_steps, eval_steps=eval_steps,
                             global_batch_size=settings.batch_size,
                             **{name: getattr(settings, name) for name in shared})


def load_model_builder(dotted_path: Optional[str]) -> Optional[model.Builder]:
    """A user's model builder named by dotted path (None: the default body)."""
    if not dotted_path:
        return None
    import importlib

    module_name, _, attribute = dotted_path.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def with_data_classes(settings: TrainerSettings, tf_transform_output) -> TrainerSettings:
    """The settings with an open label domain's classes (the training split's, as Transform's
    vocabulary lists them) filled in; other settings as they are."""
    label = settings.features.label
    if not label.open_classes:
        return settings
    names = open_class_names(label, tf_transform_output)
    if len(names) < 2:
        raise DataError(f"label {label.name!r} has {len(names)} class in the training split "
                        f"({list(names)}); classification needs at least two")
    return dataclasses.replace(settings, features=settings.features.with_label_classes(names))


def task_head(settings: TrainerSettings, train_files) -> TaskHead:
    """The schema's task, with balanced class weights from the training labels when asked."""
    features = settings.features
    if settings.class_weights != "balanced" or not features.task.is_classification:
        return TaskHead.for_features(features)
    counts = data.label_counts(train_files, features.label.name, features.num_classes)
    weights = balanced_class_weights(counts)
    logging.info("Class weights (balanced) from %s training examples per class: %s",
                 dict(zip(features.class_names, counts)),
                 dict(zip(features.class_names, (round(w, 3) for w in weights))))
    return TaskHead.for_features(features, weights)


def run_fn(fn_args) -> None:
    """Trains the model with the custom loop and exports it to `fn_args.serving_model_dir`."""
    keep_autograph_out_of_libraries()
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    settings = with_data_classes(TrainerSettings.from_dict(fn_args.custom_config),
                                 tf_transform_output)
    strategy = choose_strategy(settings.distribution)
    chief = is_chief(strategy)
    features = settings.features
    keras.utils.set_random_seed(settings.seed)
    feature_spec = tf_transform_output.transformed_feature_spec()
    label_key = features.label.name
    cache_limit_bytes = int(settings.reader_cache_mb * 2**20)

    run_settings = loop_settings(settings, fn_args.train_steps, fn_args.eval_steps)
    per_read = loop.steps_per_read(run_settings, data.example_bytes(feature_spec),
                                   strategy.num_replicas_in_sync)

    # Training files too large to cache are inflated once, into a local directory.
    with tempfile.TemporaryDirectory(prefix="trainer-staging-") as staging_dir:
        workers = cluster_workers()
        train_dataset = shard_by_files_or_data(data.make_dataset(
            fn_args.train_files, feature_spec, label_key, settings.batch_size * per_read,
            shuffle=True,
            seed=settings.seed, repeat=True, cache_limit_bytes=cache_limit_bytes,
            staging_dir=staging_dir), fn_args.train_files, workers)
        # Workers must run the same number of eval steps: full, repeating batches when several.
        eval_dataset = shard_by_files_or_data(data.make_dataset(
            fn_args.eval_files, feature_spec, label_key, settings.batch_size, shuffle=False,
            repeat=workers > 1, cache_limit_bytes=cache_limit_bytes), fn_args.eval_files, workers)
        vocabulary_sizes = {f.name: category_id_count(f, tf_transform_output)
                            for f in features.with_role(Role.CATEGORICAL)}
        head = task_head(settings, fn_args.train_files)
        with strategy.scope():
            keras_model = model.build_model(features, feature_spec, vocabulary_sizes, head,
                                            builder=load_model_builder(settings.model_builder))
        model.check_inputs_match(keras_model, train_dataset.element_spec[0].keys())
        base_model = getattr(fn_args, "base_model", None)
        checkpoints = checkpoint_dir(fn_args, settings) if chief else tempfile.mkdtemp()
        warm_started = False
        if base_model and not tf.train.latest_checkpoint(checkpoints):
            warm_started = warm_start(keras_model, base_model, features.class_names, {
                f.name: tf_transform_output.vocabulary_by_name(vocabulary_name(f.name))
                for f in features.with_role(Role.CATEGORICAL)})

        result = loop.train(
            keras_model, train_dataset, eval_dataset, run_settings,
            log_dir=os.path.join(fn_args.model_run_dir, "tensorboard") if chief else None,
            checkpoint_dir=checkpoints, strategy=strategy, head=head)

    export_dir = fn_args.serving_model_dir if chief else tempfile.mkdtemp()
    export.export_serving_model(keras_model, tf_transform_output, features, export_dir)
    if chief:
        tf.io.gfile.makedirs(fn_args.model_run_dir)
        with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, TRAINING_RECORD), "w") as out:
            json.dump(dict(dataclasses.asdict(result), task=features.task.value,
                           class_names=list(features.class_names),
                           warm_started_from=base_model if warm_started else None), out, indent=1)
        if tf.io.gfile.exists(checkpoints):
            tf.io.gfile.rmtree(checkpoints)  # the job is done: nothing left to resume
        logging.info("Exported the model to %s", fn_args.serving_model_dir)
