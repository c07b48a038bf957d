"""The custom training loop: `tf.GradientTape` steps, several per graph call.

Shape of keras-io's "writing a training loop from scratch": `replica_train_step` /
`replica_eval_step` update the model and the metric objects per batch; metrics are reset per
round; every `eval_every` steps (default: a tenth of the run) the loop evaluates, logs progress
and writes TensorBoard scalars.

Like Keras's `steps_per_execution`, one call of the compiled `train_steps` runs up to
`steps_per_execution` batches in a graph loop, so Python and the host are involved once per call,
not once per step. Calls end exactly on the evaluation, checkpoint and final steps
(`call_sizes`), the only points where the host reads anything back; the step count is an input
tensor, so shorter calls do not retrace. Unlike `model.fit` with its own `train_step`, which
takes one batch from its iterator per step, the loop can take several steps' batches in one read
(`steps_per_read`: a train reader batched by that many global batches, each read sliced into
steps in the graph; with one replica): the same examples in the same order, one iterator call
instead of several (benchmarks/RESULTS.md).

The loss and the metrics come from the task's head (`task_head.TaskHead`: mean squared error and
RMSE for regression; cross-entropy from logits and accuracy, plus AUC for binary, for
classifiers). Beyond that: any `tf.distribute` strategy (the loss is averaged over the *global*
batch, datasets are distributed), optional gradient clipping, early stopping on the eval loss,
and checkpoints every `checkpoint_every` steps from which a killed run resumes.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, Dict, Iterator, List, Optional

import tensorflow as tf
import tf_keras as keras
from absl import logging

from components.trainer.fused_adam import FusedAdam
from components.trainer.task_head import TaskHead
from schemas import Task

LOSS_NAMES = ("train_loss", "eval_loss")
READ_BYTES_LIMIT = 8 * 2**20  # the most example bytes one read of the train reader brings


@dataclasses.dataclass(frozen=True)
class LoopSettings:
    """Step counts, optimizer and robustness settings of one training run."""

    train_steps: int
    eval_steps: int
    learning_rate: float
    global_batch_size: int = 32
    eval_every: int = 0  # steps between evaluations; 0: a tenth of the run
    clip_norm: Optional[float] = None
    early_stopping_patience: int = 0  # eval rounds without improvement; 0: never stop early
    checkpoint_every: int = 0  # steps; 0: no checkpoints
    steps_per_execution: int = 1  # train steps per graph call (at most; calls end on boundaries)

    @property
    def eval_interval(self) -> int:
        """Steps between evaluations: `eval_every`, or a tenth of the run when unset."""
        return self.eval_every or max(1, self.train_steps // 10)


def call_sizes(start: int, settings: LoopSettings) -> Iterator[int]:
    """Steps per `train_steps` call from step `start` to the end of the run: at most
    `steps_per_execution`, ending on every evaluation and checkpoint step and on the last step."""
    intervals = [settings.eval_interval] + (
        [settings.checkpoint_every] if settings.checkpoint_every else [])
    step = start
    while step < settings.train_steps:
        next_boundary = min([settings.train_steps] + [
            (step // interval + 1) * interval for interval in intervals])
        size = min(settings.steps_per_execution, next_boundary - step)
        yield size
        step += size


def read_divisor(settings: LoopSettings) -> int:
    """A number of steps that divides every call's size from every step a run starts at (0 or
    a checkpoint step): the greatest common divisor of the call length and the intervals."""
    return math.gcd(settings.steps_per_execution, settings.eval_interval,
                    settings.checkpoint_every, settings.train_steps)


def steps_per_read(settings: LoopSettings, example_bytes: int, replicas: int = 1,
                   limit_bytes: int = READ_BYTES_LIMIT) -> int:
    """How many steps' batches the train reader should bring per read: the largest divisor of
    `read_divisor` whose examples (`example_bytes` each) take at most `limit_bytes`, at least 1;
    1 with several replicas (a distributed dataset splits each read into one contiguous part
    per replica, so a step would not train on the examples of one global batch). Build the
    train reader batched by this many times `global_batch_size`."""
    if replicas > 1:
        return 1
    step_bytes = settings.global_batch_size * max(example_bytes, 1)
    common = read_divisor(settings)
    return max([k for k in range(1, common + 1) if common % k == 0 and k * step_bytes
                <= limit_bytes] or [1])


@dataclasses.dataclass
class TrainResult:
    """What a run did: eval history, the step it resumed from, the step it stopped at, and
    whether the weights are the best eval round's (early stopping on) or the last step's."""

    history: List[Dict[str, float]]
    resumed_from_step: int
    final_step: int
    stopped_early: bool
    best_weights_kept: bool = False


@dataclasses.dataclass
class StepFunctions:
    """The compiled graph calls and the metrics they update.

    `train_steps(iterator, n)` and `eval_steps(iterator, n)` run n train or eval steps on
    batches from a (distributed) iterator and return n.
    """

    train_steps: Callable
    eval_steps: Callable
    metrics: Dict[str, keras.metrics.Metric]


def make_step_functions(model: keras.Model, optimizer: keras.optimizers.Optimizer,
                        global_batch_size: int, clip_norm: Optional[float] = None,
                        strategy: Optional[tf.distribute.Strategy] = None,
                        step_counter: Optional[tf.Variable] = None,
                        head: Optional[TaskHead] = None, steps_per_read: int = 1
                        ) -> StepFunctions:
    """Builds the graph calls for the model under `strategy` (create them in its scope); each
    returns the number of steps it ran.

    The per-example loss is summed and divided by the global batch size, so replicas' gradients
    add up to the batch mean. `step_counter`, when given, counts the train steps in the graph.
    `head` (default: regression) gives the loss and the metrics. With `steps_per_read` k > 1,
    each element of the train iterator holds k steps' batches, and a call's step count must be
    a multiple of k.
    """
    strategy = strategy or tf.distribute.get_strategy()
    head = head or TaskHead(Task.REGRESSION)
    loss_fn = head.per_example_loss
    optimizer.build(model.trainable_variables)  # slots now, not inside the first trace
    metrics = {name: keras.metrics.Mean(name=name) for name in LOSS_NAMES}
    metrics.update(head.make_metrics())

    def replica_train_step(features, labels):
        with tf.GradientTape() as tape:
            predictions = model(features, training=True)
            per_example = loss_fn(labels, predictions)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
        gradients = tape.gradient(loss, model.trainable_variables)
        if clip_norm:
            gradients, _ = tf.clip_by_global_norm(gradients, clip_norm)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        metrics["train_loss"].update_state(per_example)
        head.update_metrics(metrics, "train", labels, predictions)

    def replica_eval_step(features, labels):
        predictions = model(features, training=False)
        metrics["eval_loss"].update_state(loss_fn(labels, predictions))
        head.update_metrics(metrics, "eval", labels, predictions)

    def replica_read_step(read, index):
        replica_train_step(*tf.nest.map_structure(
            lambda tensor: step_slice(tensor, index, steps_per_read), read))

    @tf.function
    def train_steps(iterator, num_steps):
        if steps_per_read == 1:
            for _ in tf.range(num_steps):
                strategy.run(replica_train_step, args=next(iterator))
        else:
            for _ in tf.range(num_steps // steps_per_read):
                read = next(iterator)
                for index in tf.range(steps_per_read):
                    strategy.run(replica_read_step, args=(read, index))
        if step_counter is not None:
            step_counter.assign_add(tf.cast(num_steps, tf.int64))
        # An output, any: a tf.function without one gives Grappler no fetch nodes, and its
        # dependency optimizer then keeps every Identity node it would remove, among them one
        # per captured variable at the top of each step (51 in the demo model's call, 1-3% of
        # a step; `model.fit`'s train function returns its logs and kept 4).
        return num_steps

    @tf.function
    def eval_steps(iterator, num_steps):
        for _ in tf.range(num_steps):
            strategy.run(replica_eval_step, args=next(iterator))
        return num_steps

    return StepFunctions(train_steps, eval_steps, metrics)


def step_slice(tensor: tf.Tensor, index: tf.Tensor, steps: int) -> tf.Tensor:
    """Step `index`'s batch of a read holding `steps` steps' batches, one after the other."""
    if tensor.shape[0] is not None:
        shape = [steps, tensor.shape[0] // steps] + tensor.shape[1:].as_list()
        if None not in shape:
            return tf.reshape(tensor, shape)[index]
    return tf.reshape(tensor, tf.concat([[steps, -1], tf.shape(tensor)[1:]], 0))[index]


def steps_in_each_read(train_dataset: tf.data.Dataset, settings: LoopSettings,
                       replicas: int = 1) -> int:
    """How many steps' batches each element of the train dataset holds: its static batch size
    over the global batch size (1 when the batch size is not static); refuses a number that
    `steps_per_read` would not give."""
    batch = tf.nest.flatten(train_dataset.element_spec)[0].shape[0]
    if batch is None or batch == settings.global_batch_size:
        return 1
    steps, rest = divmod(batch, settings.global_batch_size)
    if replicas > 1:
        raise ValueError(f"the train dataset's batches of {batch} examples are not one global "
                         f"batch ({settings.global_batch_size}): with {replicas} replicas the "
                         "loop reads one step's batch at a time")
    if rest or not steps or read_divisor(settings) % steps:
        raise ValueError(
            f"the train dataset's batches of {batch} examples are not a number of global "
            f"batches ({settings.global_batch_size}) that divides every call (the calls' sizes "
            f"are multiples of {read_divisor(settings)} steps): batch it by steps_per_read(...) "
            "times the global batch size")
    return steps


def count_batches(dataset: tf.data.Dataset) -> int:
    """Batches in a finite dataset (one pass, in the graph)."""
    return int(dataset.reduce(tf.constant(0, tf.int64), lambda count, *_: count + 1))


def make_optimizer(settings: LoopSettings) -> keras.optimizers.Optimizer:
    """Adam (Keras's, with TensorFlow's fused update kernel) with a cosine-decayed learning rate
    over the run."""
    schedule = keras.optimizers.schedules.CosineDecay(
        settings.learning_rate, decay_steps=settings.train_steps, alpha=0.05)
    return FusedAdam(learning_rate=schedule)


class EarlyStopping:
    """Tracks the best eval loss and its weights; says when patience has run out."""

    def __init__(self, model: keras.Model, patience: int):
        self._model = model
        self._patience = patience
        self._best = float("inf")
        self._best_weights = None
        self._waited = 0

    def should_stop(self, eval_loss: float) -> bool:
        if eval_loss < self._best:
            self._best, self._waited = eval_loss, 0
            if self._patience:
                self._best_weights = self._model.get_weights()
            return False
        self._waited += 1
        return bool(self._patience) and self._waited >= self._patience

    def restore_best(self) -> bool:
        """Sets the best round's weights (kept only with patience); whether it did."""
        if self._best_weights is None:
            return False
        self._model.set_weights(self._best_weights)
        return True


def train(model: keras.Model, train_dataset: tf.data.Dataset, eval_dataset: tf.data.Dataset,
          settings: LoopSettings, log_dir: Optional[str] = None,
          checkpoint_dir: Optional[str] = None,
          strategy: Optional[tf.distribute.Strategy] = None,
          head: Optional[TaskHead] = None) -> TrainResult:
    """Trains for `settings.train_steps` steps over a repeating dataset, batched by the global
    batch size or by `steps_per_read(...)` times it (`steps_in_each_read`).

    `model` must have been built under `strategy.scope()`. With `checkpoint_dir`, the step,
    model and optimizer are saved every `checkpoint_every` steps and restored on start, so a
    killed run continues where its last checkpoint left off. `head` (default: regression)
    gives the loss and the metrics.
    """
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        optimizer = make_optimizer(settings)
        step_counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    train_data = strategy.experimental_distribute_dataset(train_dataset)
    # The same eval batches every round, read from the files once: counting them is that read
    # and fills the in-memory cache every round then reads, from one iterator kept for the run
    # (a fresh iterator per round costs a graph call's worth of set-up). The count makes each
    # round take exactly one pass, also when the eval data has fewer than `eval_steps` batches.
    eval_batches = eval_dataset.take(settings.eval_steps).cache()
    eval_count = tf.constant(count_batches(eval_batches), tf.int64)
    eval_iterator = iter(strategy.experimental_distribute_dataset(eval_batches.repeat()))
    steps = make_step_functions(model, optimizer, settings.global_batch_size,
                                settings.clip_norm, strategy, step_counter, head,
                                steps_in_each_read(train_dataset, settings,
                                                   strategy.num_replicas_in_sync))
    metric_names = LOSS_NAMES + tuple(name for name in steps.metrics if name not in LOSS_NAMES)

    manager = None
    if checkpoint_dir and settings.checkpoint_every:
        checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, step=step_counter)
        manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=2)
        if manager.latest_checkpoint:
            checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
            logging.info("Resumed from %s at step %d", manager.latest_checkpoint,
                         int(step_counter.numpy()))
    resumed_from = int(step_counter.numpy())

    writer = tf.summary.create_file_writer(log_dir) if log_dir else None
    stopper = EarlyStopping(model, settings.early_stopping_patience)
    history: List[Dict[str, float]] = []
    batches = iter(train_data)
    stopped_early = False
    step = resumed_from
    for size in call_sizes(resumed_from, settings):
        steps.train_steps(batches, tf.constant(size, tf.int64))  # a tensor: no retrace per size
        step += size
        if manager and step % settings.checkpoint_every == 0:
            manager.save(checkpoint_number=step)
        if step % settings.eval_interval and step != settings.train_steps:
            continue
        steps.eval_steps(eval_iterator, eval_count)
        record = {"step": step, **{name: float(steps.metrics[name].result())
                                   for name in metric_names}}
        history.append(record)
        logging.info("step %d/%d  %s", step, settings.train_steps, "  ".join(
            f"{name} {record[name]:.4f}" for name in metric_names))
        if writer:
            with writer.as_default(step=step):
                for name in metric_names:
                    tf.summary.scalar(name, record[name])
        for metric in steps.metrics.values():
            metric.reset_state()
        if stopper.should_stop(record["eval_loss"]):
            logging.info("Early stop at step %d: eval loss has not improved for %d rounds",
                         step, settings.early_stopping_patience)
            stopped_early = True
            break
    best_weights_kept = stopper.restore_best()
    if writer:
        writer.flush()
    return TrainResult(history, resumed_from, step, stopped_early, best_weights_kept)
