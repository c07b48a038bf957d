"""The Evaluator's TFMA config, derived from the schema's label and the blessing thresholds.

Run reports read the metric back by the name set here (`RMSE_METRIC`).
"""

from __future__ import annotations

from schemas import FeatureSet

RMSE_METRIC = "root_mean_squared_error"


def eval_config(features: FeatureSet, max_rmse: float):
    """A `tfma.EvalConfig`: RMSE on the eval split, with an absolute bound, and no worse than
    the blessed baseline (TFMA is imported here: run reports only need the metric names)."""
    import tensorflow_model_analysis as tfma

    from components.trainer.model import PREDICTION_KEY

    return tfma.EvalConfig(
        model_specs=[tfma.ModelSpec(signature_name="serving_default", model_type="tf_generic",
                                    label_key=features.label.name,
                                    prediction_key=PREDICTION_KEY)],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[tfma.MetricsSpec(metrics=[
            tfma.MetricConfig(class_name="ExampleCount"),
            tfma.MetricConfig(
                class_name="RootMeanSquaredError", config='{"name": "%s"}' % RMSE_METRIC,
                threshold=tfma.MetricThreshold(
                    value_threshold=tfma.GenericValueThreshold(upper_bound={"value": max_rmse}),
                    change_threshold=tfma.GenericChangeThreshold(
                        direction=tfma.MetricDirection.LOWER_IS_BETTER,
                        absolute={"value": 1e-10}))),
        ])])
