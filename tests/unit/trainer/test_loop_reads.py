"""The loop's reads of several steps' batches at once: how many (`steps_per_read`), what the
loop accepts (`steps_in_each_read`), and that training on them is training on single batches."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras
from test_trainer import SPEC, write_records

from components.trainer import data, loop, model


def settings(**overrides):
    values = dict(train_steps=300, eval_steps=1, learning_rate=1e-2, global_batch_size=32,
                  eval_every=30, steps_per_execution=50)
    return loop.LoopSettings(**{**values, **overrides})


@pytest.mark.parametrize("overrides, example_bytes, steps", [
    ({}, 100, 10),  # calls of 30 steps, then 20: every call a multiple of 10
    ({"eval_every": 100}, 100, 50),
    ({"eval_every": 100, "checkpoint_every": 40}, 100, 10),  # calls end on steps 40, 80, 100
    ({"eval_every": 100, "train_steps": 301}, 100, 1),  # the last call: 1 step
    ({"eval_every": 100}, 2 ** 20 // 32 * 3, 2),  # 3 MiB per step: 2 steps fit in 8 MiB
    ({"eval_every": 100}, 2 ** 20, 1),  # one step's batch over the limit: single batches
])
def test_steps_per_read_divide_every_call_within_the_byte_limit(overrides, example_bytes, steps):
    run = settings(**overrides)
    assert loop.steps_per_read(run, example_bytes) == steps
    for start in (0, run.checkpoint_every):  # a run starts at 0 or resumes at a checkpoint
        assert all(size % steps == 0 for size in loop.call_sizes(start, run))


def test_several_replicas_read_one_steps_batch_at_a_time():
    """A distributed dataset gives each replica a contiguous part of a read: replica 0 would
    train step 0 on examples of steps 0 and 1 (and a read of 50 batches of 32 does not split
    into 3 replicas' equal parts)."""
    assert loop.steps_per_read(settings(), 100, replicas=2) == 1
    reader = tf.data.Dataset.from_tensors(({"z": tf.zeros([1])}, tf.zeros([1]))).repeat()
    with pytest.raises(ValueError) as refused:
        loop.steps_in_each_read(reader.batch(32 * 5, drop_remainder=True), settings(), 2)
    assert str(refused.value) == (
        "the train dataset's batches of 160 examples are not one global batch (32): with 2 "
        "replicas the loop reads one step's batch at a time")


def test_example_bytes_count_every_value_of_the_spec():
    assert data.example_bytes(SPEC) == 4 * 16 + 4 + 8 + 4
    assert data.example_bytes({"name": tf.io.FixedLenFeature([], tf.string)}) == 8


def test_a_reader_batched_by_a_number_of_steps_that_does_not_divide_the_calls_is_refused():
    run = settings()  # calls are multiples of 10 steps
    reader = tf.data.Dataset.from_tensors(({"z": tf.zeros([1])}, tf.zeros([1]))).repeat()
    assert loop.steps_in_each_read(reader.batch(32 * 5, drop_remainder=True), run) == 5
    assert loop.steps_in_each_read(reader.batch(32), run) == 1  # no static batch size
    for batch in (32 * 4, 48):
        with pytest.raises(ValueError) as refused:
            loop.steps_in_each_read(reader.batch(batch, drop_remainder=True), run)
        assert str(refused.value) == (
            f"the train dataset's batches of {batch} examples are not a number of global "
            "batches (32) that divides every call (the calls' sizes are multiples of 10 "
            "steps): batch it by steps_per_read(...) times the global batch size")


def train_weights(tmp_path, digits_features, steps_per_read):
    train_path = write_records(tmp_path / "train.gz", 96, seed=0)
    keras.utils.set_random_seed(0)
    keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    train_ds = data.make_dataset(train_path, SPEC, "y", 8 * steps_per_read, shuffle=True, seed=0,
                                 repeat=True)
    eval_ds = data.make_dataset(train_path, SPEC, "y", 8, shuffle=False)
    run = settings(train_steps=40, eval_steps=2, eval_every=20, global_batch_size=8,
                   steps_per_execution=10)
    history = loop.train(keras_model, train_ds, eval_ds, run).history
    return keras_model.get_weights(), history


def test_training_on_reads_of_several_steps_is_training_on_single_batches(tmp_path,
                                                                         digits_features):
    """The same examples in the same steps (12 batches of 8 make an epoch; 40 steps cross
    three epochs' reshuffles): the same weights and metrics."""
    single, single_history = train_weights(tmp_path, digits_features, 1)
    for steps in (5, 10):
        weights, history = train_weights(tmp_path, digits_features, steps)
        for got, want in zip(weights, single):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert [r["step"] for r in history] == [20, 40]
        for got, want in zip(history, single_history):
            assert got["train_loss"] == pytest.approx(want["train_loss"], rel=1e-5)
