"""What the schema's task means for training: output units, loss, loop metrics, activation.

The model outputs raw scores (logits for classifiers); losses are computed from logits, and the
activation (softmax / sigmoid) is applied where probabilities are needed (serving, metrics).

| task       | units | loss                                   | loop metrics            | served             |
|------------|-------|----------------------------------------|-------------------------|--------------------|
| regression | 1     | mean squared error                     | loss, rmse              | prediction         |
| binary     | 1     | sigmoid cross-entropy from the logit   | loss, accuracy, auc     | probabilities, ... |
| multiclass | K     | sparse softmax cross-entropy (logits)  | loss, accuracy          | probabilities, ... |

Optional class weights (e.g. `balanced_class_weights`) scale each example's loss by its class's
weight.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tf_keras as keras

from schemas import FeatureSet, Task

CLASS_WEIGHTS = ("none", "balanced")


@dataclasses.dataclass(frozen=True)
class TaskHead:
    """The task's training-side pieces; build one with `TaskHead.for_features`."""

    task: Task
    class_names: Tuple[str, ...] = ()
    class_weights: Optional[Tuple[float, ...]] = None

    @classmethod
    def for_features(cls, features: FeatureSet,
                     class_weights: Optional[Sequence[float]] = None) -> "TaskHead":
        return cls(features.task, features.class_names,
                   None if class_weights is None else tuple(float(w) for w in class_weights))

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def output_units(self) -> int:
        """Width of the model's output: K logits (multiclass), else one value."""
        return self.num_classes if self.task is Task.MULTICLASS else 1

    @property
    def metric_names(self) -> Tuple[str, ...]:
        """The loop's per-round metrics (besides `train_loss` and `eval_loss`)."""
        if self.task is Task.REGRESSION:
            return ("train_rmse", "eval_rmse")
        if self.task is Task.BINARY:
            return ("train_accuracy", "eval_accuracy", "eval_auc")
        return ("train_accuracy", "eval_accuracy")

    def per_example_loss(self, labels: tf.Tensor, outputs: tf.Tensor) -> tf.Tensor:
        """[batch] losses from the raw model outputs, scaled by the class weights when set."""
        if self.task is Task.REGRESSION:
            return tf.reduce_mean(tf.square(tf.cast(labels, tf.float32) - outputs), axis=-1)
        ids = tf.reshape(tf.cast(labels, tf.int64), [-1])
        if self.task is Task.BINARY:
            losses = tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.cast(ids, tf.float32), logits=tf.reshape(outputs, [-1]))
        else:
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=outputs)
        if self.class_weights is not None:
            losses *= tf.gather(tf.constant(self.class_weights, tf.float32), ids)
        return losses

    def activation(self, outputs: tf.Tensor) -> tf.Tensor:
        """Raw outputs -> predictions: the value (regression) or the probability per class
        ([batch, K]; for binary the two columns are 1 - p and p)."""
        if self.task is Task.REGRESSION:
            return outputs
        if self.task is Task.BINARY:
            positive = tf.sigmoid(outputs)
            return tf.concat([1.0 - positive, positive], axis=-1)
        return tf.nn.softmax(outputs, axis=-1)

    def make_metrics(self) -> Dict[str, keras.metrics.Metric]:
        """Fresh metric objects by name (`metric_names`), updated by `update_metrics`."""
        if self.task is Task.REGRESSION:
            return {name: keras.metrics.RootMeanSquaredError(name=name)
                    for name in self.metric_names}
        metrics = {name: keras.metrics.SparseCategoricalAccuracy(name=name)
                   for name in ("train_accuracy", "eval_accuracy")}
        if self.task is Task.BINARY:
            metrics["eval_auc"] = keras.metrics.AUC(name="eval_auc")
        return metrics

    def update_metrics(self, metrics: Dict[str, keras.metrics.Metric], prefix: str,
                       labels: tf.Tensor, outputs: tf.Tensor) -> None:
        """Updates the `prefix` ("train" or "eval") metrics with one batch."""
        if self.task is Task.REGRESSION:
            metrics[f"{prefix}_rmse"].update_state(labels, outputs)
            return
        probabilities = self.activation(outputs)
        metrics[f"{prefix}_accuracy"].update_state(labels, probabilities)
        if f"{prefix}_auc" in metrics:
            metrics[f"{prefix}_auc"].update_state(labels, probabilities[:, 1:])


def balanced_class_weights(counts: Sequence[int]) -> Tuple[float, ...]:
    """scikit-learn's "balanced" weights: n / (K * count_k), so every class weighs the same in
    total; a class absent from the data gets weight 0 (it contributes no loss anyway)."""
    counts_array = np.asarray(counts, dtype=np.float64)
    total, classes = counts_array.sum(), len(counts_array)
    with np.errstate(divide="ignore"):
        weights = np.where(counts_array > 0, total / (classes * counts_array), 0.0)
    return tuple(float(w) for w in weights)
