"""AutoGraph leaves TF-Keras's and tf.Transform's own code alone, as it does TensorFlow's.

AutoGraph rewrites the Python code a `tf.function` calls into graph code, except for modules on
its do-not-convert list (`tensorflow`, `numpy`, ..., and `keras`). Two libraries this Trainer
calls inside traced functions are not on it, and both are written as graph code already:

* `tf_keras`: tf.Transform 1.16 makes this project use Keras 2 as the `tf_keras` package, not
  `keras`, so the first trace of every function that calls the model (the train step, the eval
  step, Keras's own trace of the model when it is saved) transpiled TF-Keras's layer and model
  code: on the demo, 15 s of the Trainer's 42 s (py-spy; see benchmarks/RESULTS.md).
* `tensorflow_transform`: the export's serving signatures call the Transform layer, whose code
  (`TransformFeaturesLayer.call`, `apply_transform_model`, ...) was transpiled on their first
  trace: the demo's export took 4.9 s at the median against 3.2 s without it (6 alternated
  pairs, identical served outputs; benchmarks/RESULTS.md).

A model builder's own layers live in the user's modules, which AutoGraph still converts, so
Python control flow on tensors inside them keeps working.
"""

from __future__ import annotations

PACKAGES = ("tf_keras", "tensorflow_transform")


def keep_autograph_out_of_libraries() -> bool:
    """Adds PACKAGES to AutoGraph's do-not-convert rules (each once); False when this
    TensorFlow has no such rules to extend (nothing changes then but the speed of tracing)."""
    try:
        from tensorflow.python.autograph.core import config
    except ImportError:
        return False
    rules = getattr(config, "CONVERSION_RULES", None)
    if not isinstance(rules, tuple) or not hasattr(config, "DoNotConvert"):
        return False
    present = {str(rule) for rule in rules}
    missing = tuple(config.DoNotConvert(package) for package in PACKAGES
                    if str(config.DoNotConvert(package)) not in present)
    config.CONVERSION_RULES = missing + rules
    return True
