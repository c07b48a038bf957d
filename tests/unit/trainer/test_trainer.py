"""Trainer pieces: named inputs from the schema, the dict-keyed reader, the custom loop."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from components.trainer import data, loop, model

SPEC = {
    "image": tf.io.FixedLenFeature([4, 4, 1], tf.float32),
    "z": tf.io.FixedLenFeature([1], tf.float32),
    "pen": tf.io.FixedLenFeature([1], tf.int64),
    "y": tf.io.FixedLenFeature([1], tf.float32),
}


def write_records(path, count, seed=0):
    """Transformed-looking examples whose label is y = 3 * z + pen + mean(image)."""
    rng = np.random.default_rng(seed)
    with tf.io.TFRecordWriter(str(path), options="GZIP") as writer:
        for index in range(count):
            image = rng.random((4, 4, 1)).astype(np.float32)
            z = float(rng.normal())
            pen = int(rng.integers(0, 3))
            y = 3.0 * z + pen + float(image.mean())
            feature = {
                "image": tf.train.Feature(float_list=tf.train.FloatList(value=image.ravel())),
                "z": tf.train.Feature(float_list=tf.train.FloatList(value=[z])),
                "pen": tf.train.Feature(int64_list=tf.train.Int64List(value=[pen])),
                "y": tf.train.Feature(float_list=tf.train.FloatList(value=[y])),
                "index": tf.train.Feature(int64_list=tf.train.Int64List(value=[index])),
            }
            writer.write(tf.train.Example(
                features=tf.train.Features(feature=feature)).SerializeToString())
    return str(path)


def test_model_has_one_named_input_per_feature(digits_features):
    keras_model = model.build_model(digits_features, SPEC, {"pen": 4})
    assert sorted(keras_model.input_names) == ["image", "pen", "z"]
    shapes = {t.name.split(":")[0]: tuple(t.shape) for t in keras_model.inputs}
    assert shapes == {"image": (None, 4, 4, 1), "z": (None, 1), "pen": (None, 1)}
    assert keras_model.output_shape == (None, 1)


def test_input_mismatch_lists_missing_and_unexpected_keys(digits_features):
    keras_model = model.build_model(digits_features, SPEC, {"pen": 4})
    model.check_inputs_match(keras_model, ["image", "z", "pen"])
    with pytest.raises(model.InputMismatchError) as raised:
        model.check_inputs_match(keras_model, ["image", "z_xf", "pen"])
    assert "missing from the dataset ['z']" in str(raised.value)
    assert "unexpected in the dataset ['z_xf']" in str(raised.value)


def test_custom_loop_learns_and_traces_once(tmp_path, digits_features):
    train_path = write_records(tmp_path / "train.gz", 256, seed=0)
    eval_path = write_records(tmp_path / "eval.gz", 64, seed=1)
    keras.utils.set_random_seed(0)
    keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    train_ds = data.make_dataset(train_path, SPEC, "y", 32, shuffle=True, seed=0, repeat=True)
    eval_ds = data.make_dataset(eval_path, SPEC, "y", 32, shuffle=False)
    settings = loop.LoopSettings(train_steps=300, eval_steps=10, eval_every=100,
                                 learning_rate=1e-2, global_batch_size=32, clip_norm=5.0,
                                 steps_per_execution=30)
    result = loop.train(keras_model, train_ds, eval_ds, settings, log_dir=str(tmp_path / "tb"))
    history = result.history
    assert (result.resumed_from_step, result.final_step, result.stopped_early,
            result.best_weights_kept) == (0, 300, False, False)
    assert [record["step"] for record in history] == [100, 200, 300]
    label_std = 3.2  # std of 3 z + pen + mean(image): the mean predictor's RMSE
    assert history[-1]["eval_rmse"] < 0.25 * label_std
    assert history[-1]["eval_loss"] < history[0]["eval_loss"]
    assert tf.io.gfile.glob(str(tmp_path / "tb" / "events.out.tfevents.*"))


def test_graph_calls_do_not_retrace_for_other_step_counts_or_batch_sizes(digits_features):
    keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    batch = ({"image": tf.zeros([7, 4, 4, 1]), "z": tf.zeros([7, 1]),
              "pen": tf.zeros([7, 1], tf.int64)}, tf.zeros([7, 1]))
    dataset = tf.data.Dataset.from_tensor_slices(batch).batch(3)  # batches of 3, 3, 1
    step_counter = tf.Variable(0, dtype=tf.int64)
    steps = loop.make_step_functions(keras_model, keras.optimizers.Adam(), global_batch_size=3,
                                     step_counter=step_counter)
    iterator, eval_iterator = iter(dataset.repeat()), iter(dataset.repeat())
    for size in (1, 3, 2):
        steps.train_steps(iterator, tf.constant(size, tf.int64))
        steps.eval_steps(eval_iterator, tf.constant(3, tf.int64))
    assert steps.train_steps.experimental_get_tracing_count() == 1
    assert steps.eval_steps.experimental_get_tracing_count() == 1
    assert int(step_counter.numpy()) == 6
    assert int(steps.metrics["eval_loss"].count.numpy()) == 3 * 7  # every eval example, 3 times


def test_each_step_runs_without_an_identity_per_captured_variable(digits_features):
    """A graph call without outputs gave Grappler no fetch nodes: every captured variable kept
    an Identity node at the top of each step (51 in the demo model's call, where fit's train
    function, which returns its logs, kept 4): 1-3% of a step."""
    from tensorflow.python.eager import context

    keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    batch = ({"image": tf.zeros([4, 4, 4, 1]), "z": tf.zeros([4, 1]),
              "pen": tf.zeros([4, 1], tf.int64)}, tf.zeros([4, 1]))
    steps = loop.make_step_functions(keras_model, loop.make_optimizer(loop.LoopSettings(
        train_steps=10, eval_steps=1, learning_rate=0.1)), global_batch_size=4)
    iterator = iter(tf.data.Dataset.from_tensors(batch).repeat())
    runtime = context.context()
    runtime.enable_run_metadata()
    try:
        ran = steps.train_steps(iterator, tf.constant(2, tf.int64))
        graphs = runtime.export_run_metadata().function_graphs
    finally:
        runtime.disable_run_metadata()
    body_inputs = [node for graph in graphs for partition in graph.partition_graphs
                   for node in partition.node
                   if node.op == "Identity" and node.name.startswith("Func/while/body")]
    assert len(keras_model.trainable_variables) * 3 > 20  # variables, two Adam slots each
    assert len(body_inputs) <= 4
    assert int(ran) == 2  # the output that lets Grappler remove them: the steps run


def test_every_evaluation_reads_each_eval_example_once(tmp_path, digits_features):
    """Eval data shorter than `eval_steps` (10 examples: batches of 4, 4, 2): each round reads
    exactly that one pass, partial batch included, from the loop's one eval iterator; the
    batches come from the files once, for the whole run."""
    eval_path = write_records(tmp_path / "eval.gz", 10, seed=1)
    batches_read = tf.Variable(0)

    def count_read(features, labels):
        batches_read.assign_add(1)
        return features, labels

    eval_ds = data.make_dataset(eval_path, SPEC, "y", 4, shuffle=False)
    assert loop.count_batches(eval_ds) == 3
    eval_ds = eval_ds.map(count_read)
    keras.utils.set_random_seed(0)
    keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    features, labels = next(iter(data.make_dataset(eval_path, SPEC, "y", 10, shuffle=False)))
    expected = float(tf.reduce_mean(tf.square(keras_model(features) - labels)))
    settings = loop.LoopSettings(train_steps=9, eval_steps=10, eval_every=3, learning_rate=0.0,
                                 global_batch_size=4, steps_per_execution=2)
    train_ds = data.make_dataset(eval_path, SPEC, "y", 4, shuffle=False, repeat=True)
    history = loop.train(keras_model, train_ds, eval_ds, settings).history
    assert [record["step"] for record in history] == [3, 6, 9]
    assert [record["eval_loss"] for record in history] == pytest.approx([expected] * 3, rel=1e-5)
    assert int(batches_read.numpy()) == 3  # one read of the files, not one per round


@pytest.mark.parametrize("start, settings, sizes", [
    (0, dict(train_steps=30, eval_every=10, steps_per_execution=4), [4, 4, 2] * 3),
    (0, dict(train_steps=30, eval_every=10, checkpoint_every=15, steps_per_execution=50),
     [10, 5, 5, 10]),
    (12, dict(train_steps=25, eval_every=10, steps_per_execution=50), [8, 5]),
    (0, dict(train_steps=3, eval_every=10, steps_per_execution=1), [1, 1, 1]),
])
def test_calls_end_on_eval_checkpoint_and_last_steps(start, settings, sizes):
    settings = loop.LoopSettings(eval_steps=1, learning_rate=0.1, **settings)
    assert list(loop.call_sizes(start, settings)) == sizes


def tiny_setup(tmp_path, digits_features, seed=0):
    train_path = write_records(tmp_path / "train.gz", 128, seed=0)
    eval_path = write_records(tmp_path / "eval.gz", 32, seed=1)
    keras.utils.set_random_seed(seed)
    keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    train_ds = data.make_dataset(train_path, SPEC, "y", 16, shuffle=True, seed=0, repeat=True)
    eval_ds = data.make_dataset(eval_path, SPEC, "y", 16, shuffle=False)
    return keras_model, train_ds, eval_ds


def test_resumes_from_the_last_checkpoint(tmp_path, digits_features):
    checkpoints = str(tmp_path / "ckpt")
    first = loop.LoopSettings(train_steps=30, eval_steps=2, eval_every=10, learning_rate=1e-2,
                              global_batch_size=16, checkpoint_every=10, steps_per_execution=4)
    keras_model, train_ds, eval_ds = tiny_setup(tmp_path, digits_features)
    loop.train(keras_model, train_ds, eval_ds, first, checkpoint_dir=checkpoints)
    trained = [w.copy() for w in keras_model.get_weights()]

    keras_model, train_ds, eval_ds = tiny_setup(tmp_path, digits_features, seed=1)  # "restarted"
    resumed_settings = loop.LoopSettings(**{**first.__dict__, "train_steps": 50})
    restored = loop.train(keras_model, train_ds, eval_ds,
                          loop.LoopSettings(**{**first.__dict__, "train_steps": 30}),
                          checkpoint_dir=checkpoints)
    assert (restored.resumed_from_step, restored.final_step, restored.history) == (30, 30, [])
    for got, want in zip(keras_model.get_weights(), trained):
        np.testing.assert_array_equal(got, want)
    result = loop.train(keras_model, train_ds, eval_ds, resumed_settings,
                        checkpoint_dir=checkpoints)
    assert (result.resumed_from_step, result.final_step) == (30, 50)
    assert [r["step"] for r in result.history] == [40, 50]


def test_early_stopping_keeps_the_best_weights():
    keras_model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    stopper = loop.EarlyStopping(keras_model, patience=2)
    decisions = []
    for loss, weight in [(3.0, 1.0), (2.0, 2.0), (2.5, 3.0), (float("nan"), 4.0), (1.0, 5.0)]:
        keras_model.set_weights([np.full((1, 1), weight), np.zeros(1)])
        decisions.append(stopper.should_stop(loss))
        if decisions[-1]:
            break
    assert decisions == [False, False, False, True]  # NaN counts as no improvement
    assert stopper.restore_best()
    assert keras_model.get_weights()[0][0, 0] == 2.0


def test_loop_stops_early_when_eval_loss_stalls(tmp_path, digits_features):
    keras_model, train_ds, eval_ds = tiny_setup(tmp_path, digits_features)
    settings = loop.LoopSettings(train_steps=2000, eval_steps=2, eval_every=10,
                                 learning_rate=0.5, global_batch_size=16,
                                 early_stopping_patience=3, steps_per_execution=7)
    result = loop.train(keras_model, train_ds, eval_ds, settings)
    assert result.stopped_early and result.best_weights_kept and result.final_step < 2000
    assert len(result.history) == result.final_step // 10


def test_custom_builder_gets_the_named_inputs(digits_features):
    seen = {}

    def builder(inputs):
        seen.update(inputs)
        return keras.layers.Dense(1)(keras.layers.Concatenate()(
            [keras.layers.Flatten()(inputs["image"]), inputs["z"]]))

    keras_model = model.build_model(digits_features, SPEC, {"pen": 3}, builder=builder)
    assert sorted(seen) == ["image", "pen", "z"]
    assert sorted(keras_model.input_names) == ["image", "pen", "z"]


def test_strategy_choice(monkeypatch):
    from components.trainer import run

    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert run.cluster_workers() == 1
    assert run.is_chief(run.choose_strategy("auto"))
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:2"]}, '
                                    '"task": {"type": "worker", "index": 1}}')
    assert run.cluster_workers() == 2


@pytest.mark.parametrize("steps_per_read", [1, 4])
def test_loop_runs_under_mirrored_strategy(tmp_path, digits_features, steps_per_read):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    train_path = write_records(tmp_path / "train.gz", 64, seed=0)
    eval_path = write_records(tmp_path / "eval.gz", 32, seed=1)
    with strategy.scope():
        keras_model = model.build_model(digits_features, SPEC, {"pen": 3})
    train_ds = data.make_dataset(train_path, SPEC, "y", 16 * steps_per_read, shuffle=True,
                                 seed=0, repeat=True)
    eval_ds = data.make_dataset(eval_path, SPEC, "y", 16, shuffle=False)
    settings = loop.LoopSettings(train_steps=40, eval_steps=2, eval_every=20, learning_rate=1e-2,
                                 global_batch_size=16, steps_per_execution=8)
    result = loop.train(keras_model, train_ds, eval_ds, settings, strategy=strategy)
    assert [r["step"] for r in result.history] == [20, 40]
    assert result.history[-1]["eval_loss"] < result.history[0]["eval_loss"] * 1.5
    assert all(np.isfinite(r["train_loss"]) for r in result.history)
