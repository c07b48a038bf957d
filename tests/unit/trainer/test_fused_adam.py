"""FusedAdam: Keras's Adam arithmetic through TensorFlow's fused kernel, Keras's checkpoints."""

import numpy as np
import tensorflow as tf
import tf_keras as keras

from components.trainer.fused_adam import FusedAdam


def schedule():
    return keras.optimizers.schedules.CosineDecay(0.05, decay_steps=30, alpha=0.05)


def train(optimizer_class, steps=25, strategy=None, checkpoint_from=None):
    """A dense and an embedding-like (sparse-gradient) variable after `steps` updates."""
    strategy = strategy or tf.distribute.get_strategy()
    rng = np.random.default_rng(0)
    with strategy.scope():
        dense = tf.Variable(rng.normal(size=(5, 3)).astype(np.float32))
        table = tf.Variable(rng.normal(size=(6, 2)).astype(np.float32))
        optimizer = optimizer_class(learning_rate=schedule())
        optimizer.build([dense, table])
    if checkpoint_from:
        tf.train.Checkpoint(dense=dense, table=table, optimizer=optimizer).restore(
            checkpoint_from).assert_existing_objects_matched()

    @tf.function
    def step(target, ids):
        def replica_step():
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.square(dense - target)) + tf.reduce_sum(
                    tf.gather(table, ids) ** 2)
            optimizer.apply_gradients(zip(tape.gradient(loss, [dense, table]), [dense, table]))
        strategy.run(replica_step)

    for _ in range(steps):
        step(tf.constant(rng.normal(size=(5, 3)).astype(np.float32)),
             tf.constant(rng.integers(0, 6, size=4)))
    return dense, table, optimizer, step


def test_updates_equal_keras_adams():
    keras_dense, keras_table, _, _ = train(keras.optimizers.Adam)
    dense, table, _, _ = train(FusedAdam)
    np.testing.assert_allclose(dense.numpy(), keras_dense.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(table.numpy(), keras_table.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(dense.numpy(), train(FusedAdam, steps=24)[0].numpy())  # it moves


def test_dense_updates_run_the_fused_kernel_once_per_variable():
    _, _, _, step = train(FusedAdam, steps=1)
    graph_def = step.get_concrete_function(
        tf.TensorSpec([5, 3]), tf.TensorSpec([4], tf.int64)).graph.as_graph_def()
    op_types = [node.op for node in graph_def.node] + [
        node.op for function in graph_def.library.function for node in function.node_def]
    assert op_types.count("ResourceApplyAdam") == 1  # the dense variable; the table is sparse


def test_continues_from_a_checkpoint_of_keras_adam(tmp_path):
    dense, table, optimizer, _ = train(keras.optimizers.Adam, steps=10)
    path = tf.train.Checkpoint(dense=dense, table=table, optimizer=optimizer).save(
        str(tmp_path / "ckpt"))
    resumed, _, fused, _ = train(FusedAdam, steps=5, checkpoint_from=path)
    assert int(fused.iterations.numpy()) == 15
    keras_resumed, _, _, _ = train(keras.optimizers.Adam, steps=5, checkpoint_from=path)
    np.testing.assert_allclose(resumed.numpy(), keras_resumed.numpy(), rtol=1e-5, atol=1e-6)


def test_updates_mirrored_variables_under_a_distribution_strategy():
    keras_dense, _, _, _ = train(keras.optimizers.Adam)
    dense, _, _, _ = train(FusedAdam, strategy=tf.distribute.MirroredStrategy(["/cpu:0"]))
    np.testing.assert_allclose(dense.numpy(), keras_dense.numpy(), rtol=1e-5, atol=1e-6)
