"""The custom training loop: `tf.GradientTape` steps compiled once with fixed input signatures.

Shape of keras-io's "writing a training loop from scratch": `train_step` / `eval_step` are
`tf.function`s over the model and optimizer, metric objects are updated per batch and reset per
round; every `eval_every` steps the loop evaluates, logs progress and writes TensorBoard scalars.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Optional

import tensorflow as tf
import tf_keras as keras
from absl import logging


@dataclasses.dataclass(frozen=True)
class LoopSettings:
    """Step counts and optimizer settings of one training run."""

    train_steps: int
    eval_steps: int
    eval_every: int
    learning_rate: float


@dataclasses.dataclass
class StepFunctions:
    """The compiled steps and the metrics they update."""

    train_step: Callable
    eval_step: Callable
    metrics: Dict[str, keras.metrics.Metric]


def make_step_functions(model: keras.Model, optimizer: keras.optimizers.Optimizer,
                        train_spec, eval_spec) -> StepFunctions:
    """Builds `train_step` and `eval_step`; the specs are the datasets' `element_spec`s."""
    loss_fn = keras.losses.MeanSquaredError()
    optimizer.build(model.trainable_variables)  # slots now, not inside the first trace
    metrics = {
        "train_loss": keras.metrics.Mean(name="train_loss"),
        "train_rmse": keras.metrics.RootMeanSquaredError(name="train_rmse"),
        "eval_loss": keras.metrics.Mean(name="eval_loss"),
        "eval_rmse": keras.metrics.RootMeanSquaredError(name="eval_rmse"),
    }

    @tf.function(input_signature=[train_spec[0], train_spec[1]])
    def train_step(features, labels):
        with tf.GradientTape() as tape:
            predictions = model(features, training=True)
            loss = loss_fn(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        metrics["train_loss"].update_state(loss)
        metrics["train_rmse"].update_state(labels, predictions)
        return loss

    @tf.function(input_signature=[eval_spec[0], eval_spec[1]])
    def eval_step(features, labels):
        predictions = model(features, training=False)
        loss = loss_fn(labels, predictions)
        metrics["eval_loss"].update_state(loss, sample_weight=tf.shape(labels)[0])
        metrics["eval_rmse"].update_state(labels, predictions)
        return loss

    return StepFunctions(train_step, eval_step, metrics)


def make_optimizer(settings: LoopSettings) -> keras.optimizers.Optimizer:
    """Adam with a cosine-decayed learning rate over the run."""
    schedule = keras.optimizers.schedules.CosineDecay(
        settings.learning_rate, decay_steps=settings.train_steps, alpha=0.05)
    return keras.optimizers.Adam(learning_rate=schedule)


def train(model: keras.Model, train_dataset: tf.data.Dataset, eval_dataset: tf.data.Dataset,
          settings: LoopSettings, log_dir: Optional[str] = None) -> List[Dict[str, float]]:
    """Trains for `settings.train_steps` steps over a repeating dataset; returns eval history."""
    optimizer = make_optimizer(settings)
    steps = make_step_functions(model, optimizer, train_dataset.element_spec,
                                eval_dataset.element_spec)
    writer = tf.summary.create_file_writer(log_dir) if log_dir else None
    history: List[Dict[str, float]] = []
    batches = iter(train_dataset)
    for step in range(1, settings.train_steps + 1):
        features, labels = next(batches)
        steps.train_step(features, labels)
        if step % settings.eval_every == 0 or step == settings.train_steps:
            for features, labels in eval_dataset.take(settings.eval_steps):
                steps.eval_step(features, labels)
            record = {"step": step, **{name: float(metric.result())
                                       for name, metric in steps.metrics.items()}}
            history.append(record)
            logging.info("step %d/%d  train_loss %.4f  eval_loss %.4f  eval_rmse %.4f", step,
                         settings.train_steps, record["train_loss"], record["eval_loss"],
                         record["eval_rmse"])
            if writer:
                with writer.as_default(step=step):
                    for name, value in record.items():
                        if name != "step":
                            tf.summary.scalar(name, value)
            for metric in steps.metrics.values():
                metric.reset_state()
    if writer:
        writer.flush()
    return history
