"""Keras's Adam with one fused kernel per dense variable update.

`tf_keras.optimizers.Adam` updates each dense variable with about a dozen small graph ops (casts,
powers, the two moment updates, the step); TensorFlow's `ResourceApplyAdam` kernel does the same
arithmetic in one op, the kernel Keras's legacy Adam used. On the demo model a train step took
8% less time with it (benchmarks/RESULTS.md). The moments are Keras's own slot
variables, so checkpoints and `optimizer.build` are unchanged; sparse gradients (embeddings) and
the AMSGrad / adaptive-epsilon variants keep Keras's update.
"""

from __future__ import annotations

import types

import tensorflow as tf
import tf_keras as keras


class FusedAdam(keras.optimizers.Adam):
    """`keras.optimizers.Adam` whose dense updates run TensorFlow's fused Adam kernel:
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    var -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon), as Keras's update."""

    def apply_gradients(self, grads_and_vars, *args, **kwargs):
        # The step's scalars per dtype, made by its first dense update; a plain (not tracked,
        # not checkpointed) object, emptied after the step so no graph tensor outlives it.
        self._step_scalars = types.SimpleNamespace(by_dtype={})
        try:
            return super().apply_gradients(grads_and_vars, *args, **kwargs)
        finally:
            self._step_scalars.by_dtype.clear()

    def _scalars(self, dtype: tf.DType) -> dict:
        """The step's arguments of the kernel besides the variables and the gradient: computed
        once per `apply_gradients` (per dtype), not once per variable."""
        scalars = self._step_scalars.by_dtype
        if dtype not in scalars:
            local_step = tf.cast(self.iterations + 1, dtype)
            beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
            scalars[dtype] = dict(
                beta1_power=tf.pow(beta_1, local_step), beta2_power=tf.pow(beta_2, local_step),
                lr=tf.cast(self.learning_rate, dtype), beta1=beta_1, beta2=beta_2,
                epsilon=tf.cast(self.epsilon, dtype))
        return scalars[dtype]

    def update_step(self, gradient, variable):
        if isinstance(gradient, tf.IndexedSlices) or self.amsgrad or self.adaptive_epsilon:
            return super().update_step(gradient, variable)
        index = self._index_dict[self._var_key(variable)]
        return tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=self._momentums[index].handle,
            v=self._velocities[index].handle, grad=gradient, use_locking=False,
            **self._scalars(variable.dtype))
