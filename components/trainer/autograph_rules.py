"""AutoGraph leaves TF-Keras's own code alone, as it did when Keras 2 was the `keras` package.

AutoGraph rewrites the Python code a `tf.function` calls into graph code, except for modules on
its do-not-convert list (`tensorflow`, `numpy`, ..., and `keras`). tf.Transform 1.16 makes this
project use Keras 2 as the `tf_keras` package, which is not on that list, so the first trace of
every function that calls the model (the train step, the eval step, Keras's own trace of the
model when it is saved) transpiled TF-Keras's layer and model code again: on the demo, 15 s of
the Trainer's 42 s (py-spy; see benchmarks/RESULTS.md). Listing `tf_keras` restores what Keras 2
had as `keras`. A model builder's own layers live in the user's modules, which AutoGraph still
converts, so Python control flow on tensors inside them keeps working.
"""

from __future__ import annotations

PACKAGE = "tf_keras"


def keep_autograph_out_of_tf_keras() -> bool:
    """Adds `tf_keras` to AutoGraph's do-not-convert rules (once); False when this TensorFlow
    has no such rules to extend (nothing changes then but the speed of tracing)."""
    try:
        from tensorflow.python.autograph.core import config
    except ImportError:
        return False
    rules = getattr(config, "CONVERSION_RULES", None)
    if not isinstance(rules, tuple) or not hasattr(config, "DoNotConvert"):
        return False
    if not any(str(rule) == str(config.DoNotConvert(PACKAGE)) for rule in rules):
        config.CONVERSION_RULES = (config.DoNotConvert(PACKAGE),) + rules
    return True
