"""The Evaluator's TFMA config, derived from the schema's task and the blessing thresholds.

| task       | metrics                                                     | blessing                  |
|------------|-------------------------------------------------------------|---------------------------|
| regression | RMSE, R squared                                             | RMSE <= max_eval_rmse,    |
|            |                                                             | no higher than baseline   |
| binary     | accuracy, accuracy over the majority class, AUC, precision  | accuracy >= min_eval_     |
|            | and recall at 0.5, calibration, mean label/prediction,      | accuracy, AUC >= min_eval |
|            | confusion matrix, calibration plot                          | _auc, AUC no lower than   |
|            |                                                             | baseline                  |
| multiclass | accuracy, accuracy over the majority class, per-class       | accuracy >= min_eval_     |
|            | precision/recall (top-1), confusion matrix                  | accuracy, no lower than   |
|            |                                                             | baseline                  |

With `beat_trivial_predictor` (the default), every task's model must also do at least as well
as the trivial predictor on the eval split itself: R squared >= 0 (regression), accuracy over
the majority class >= 0 (classifiers), or, for a classifier trained with balanced class weights
(whose loss weighs every class alike), balanced accuracy over chance >= 0: the mean of the
classes' recalls against 1 / K (`pipeline/trivial_baselines.py`).

A label with an open domain is multiclass, but its classes are only known once Transform has
read the data, after this config is compiled: it gets accuracy and the confusion matrix, and no
per-class precision/recall (the run report's confusion matrix shows each class).

Classifiers are judged on the class ids Transform computes (the `transform_features` signature
runs first, so TFMA's label is the id, not the raw class name). Run reports read metrics back by
the names set here.
"""

from __future__ import annotations

import json
from typing import Iterable, List

from schemas import FeatureSet, Task

RMSE_METRIC = "root_mean_squared_error"
ACCURACY_METRIC = "accuracy"
AUC_METRIC = "auc"
R_SQUARED = "r_squared"  # pipeline/trivial_baselines.py
ACCURACY_OVER_MAJORITY = "accuracy_over_majority_class"
BALANCED_ACCURACY_OVER_CHANCE = "balanced_accuracy_over_chance"
# blessing settings (pipeline/config.py) -> (metric, bound): what `deploy` flags patch
THRESHOLD_SETTINGS = {"max_eval_rmse": (RMSE_METRIC, "upper"),
                      "min_eval_accuracy": (ACCURACY_METRIC, "lower"),
                      "min_eval_auc": (AUC_METRIC, "lower")}
# the metrics each task's Evaluator bounds (`_metrics_specs`): which blessing settings apply
BOUNDED_METRICS = {Task.REGRESSION: (RMSE_METRIC,), Task.BINARY: (ACCURACY_METRIC, AUC_METRIC),
                   Task.MULTICLASS: (ACCURACY_METRIC,)}
_NO_WORSE = 1e-10  # change threshold: the candidate may not be worse than the baseline
TRIVIAL_BASELINES_MODULE = "pipeline.trivial_baselines"
# what a failed bound of the trivial-predictor metrics means, for the run summary
TRIVIAL_FAILURE_NOTES = {R_SQUARED: "worse than always predicting the eval split's mean",
                         ACCURACY_OVER_MAJORITY: "worse than always predicting the eval split's "
                                                 "largest class",
                         BALANCED_ACCURACY_OVER_CHANCE: "recalls no better than always "
                                                        "predicting one class"}


def applicable_bounds(metric_names: Iterable[str]) -> List[str]:
    """The blessing settings whose metric is among `metric_names` (a task's BOUNDED_METRICS, or
    the metrics of a compiled eval config)."""
    names = set(metric_names)
    return [setting for setting, (metric, _) in THRESHOLD_SETTINGS.items() if metric in names]


def inapplicable_bounds(settings: Iterable[str], metric_names: Iterable[str]) -> List[str]:
    """The blessing settings among `settings` that bound none of `metric_names`: a bound for
    another task, which would be silently ignored (other settings are not looked at)."""
    applicable = applicable_bounds(metric_names)
    return [setting for setting in THRESHOLD_SETTINGS
            if setting in set(settings) and setting not in applicable]


def _metric(class_name: str, name: str = "", threshold=None, module: str = "", **config):
    import tensorflow_model_analysis as tfma

    if name:
        config["name"] = name
    return tfma.MetricConfig(class_name=class_name, config=json.dumps(config) if config else "",
                             threshold=threshold, module=module)


def _trivial_baseline_metric(task: Task, balanced_classes: bool, bounded: bool):
    """R squared, accuracy over the majority class or (`balanced_classes`) balanced accuracy
    over chance, bounded below by 0 when `bounded`; its config carries the code's fingerprint
    (TFX's cache key does not hash a module's code)."""
    from pipeline.fingerprint import code_fingerprint

    class_name, name = (
        ("RSquared", R_SQUARED) if not task.is_classification else
        ("BalancedAccuracyOverChance", BALANCED_ACCURACY_OVER_CHANCE) if balanced_classes else
        ("AccuracyOverMajorityClass", ACCURACY_OVER_MAJORITY))
    return _metric(class_name, name, _threshold("lower", 0.0, False) if bounded else None,
                   module=TRIVIAL_BASELINES_MODULE,
                   code_fingerprint=code_fingerprint([TRIVIAL_BASELINES_MODULE]))


def _threshold(bound: str, value: float, versus_baseline: bool):
    """A value bound ("upper"/"lower"), plus, when `versus_baseline`, no worse than the baseline
    in that bound's direction."""
    import tensorflow_model_analysis as tfma

    kwargs = {}
    if versus_baseline:
        kwargs["change_threshold"] = tfma.GenericChangeThreshold(
            direction=(tfma.MetricDirection.LOWER_IS_BETTER if bound == "upper"
                       else tfma.MetricDirection.HIGHER_IS_BETTER),
            absolute={"value": _NO_WORSE if bound == "upper" else -_NO_WORSE})
    return tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(**{f"{bound}_bound": {"value": value}}),
        **kwargs)


def _metrics_specs(features: FeatureSet, max_rmse: float, min_accuracy: float,
                   min_auc: float, beat_trivial: bool, balanced_classes: bool) -> List:
    import tensorflow_model_analysis as tfma

    count = _metric("ExampleCount")
    trivial = _trivial_baseline_metric(features.task, balanced_classes, beat_trivial)
    if features.task is Task.REGRESSION:
        return [tfma.MetricsSpec(metrics=[count, _metric(
            "RootMeanSquaredError", RMSE_METRIC, _threshold("upper", max_rmse, True)), trivial])]
    if features.task is Task.BINARY:
        return [tfma.MetricsSpec(metrics=[
            count,
            _metric("BinaryAccuracy", ACCURACY_METRIC, _threshold("lower", min_accuracy, False)),
            trivial,
            _metric("AUC", AUC_METRIC, _threshold("lower", min_auc, True)),
            _metric("Precision"), _metric("Recall"),  # at the 0.5 threshold
            _metric("Calibration"), _metric("MeanLabel"), _metric("MeanPrediction"),
            _metric("ConfusionMatrixPlot"), _metric("CalibrationPlot")])]
    specs = [tfma.MetricsSpec(metrics=[
        count,
        _metric("SparseCategoricalAccuracy", ACCURACY_METRIC,
                _threshold("lower", min_accuracy, True)),
        trivial,
        _metric("MultiClassConfusionMatrixPlot")])]
    if not features.label.open_classes:
        specs.append(tfma.MetricsSpec(  # one precision and recall per class, of the top-1
            metrics=[_metric("Precision", top_k=1), _metric("Recall", top_k=1)],
            binarize=tfma.BinarizationOptions(class_ids={"values": list(range(
                features.num_classes))})))
    return specs


def eval_config(features: FeatureSet, max_rmse: float, min_accuracy: float = 0.0,
                min_auc: float = 0.0, beat_trivial: bool = True, balanced_classes: bool = False):
    """A `tfma.EvalConfig` for the schema's task with its blessing thresholds (see the module
    docstring; TFMA is imported here: run reports only need the metric names).
    `balanced_classes`: the classifier is trained with balanced class weights."""
    import tensorflow_model_analysis as tfma

    from components.trainer.export import (POSITIVE_PROBABILITY_KEY, PROBABILITIES_KEY,
                                           TRANSFORM_SIGNATURE)
    from components.trainer.model import PREDICTION_KEY

    task = features.task
    model_spec = tfma.ModelSpec(
        signature_name="serving_default", model_type="tf_generic", label_key=features.label.name,
        prediction_key={Task.REGRESSION: PREDICTION_KEY, Task.BINARY: POSITIVE_PROBABILITY_KEY,
                        Task.MULTICLASS: PROBABILITIES_KEY}[task],
        preprocessing_function_names=[TRANSFORM_SIGNATURE] if task.is_classification else [])
    return tfma.EvalConfig(model_specs=[model_spec], slicing_specs=[tfma.SlicingSpec()],
                           metrics_specs=_metrics_specs(features, max_rmse, min_accuracy, min_auc,
                                                        beat_trivial, balanced_classes))


def blessing_failures(evaluation_uri: str) -> List[str]:
    """Why the Evaluator did not bless: one phrase per threshold its validation result failed,
    e.g. "root_mean_squared_error 2.7222 > 2.445" or "auc -0.0123 vs. baseline"."""
    import tensorflow_model_analysis as tfma

    failures = []
    for per_slice in tfma.load_validation_result(evaluation_uri).metric_validations_per_slice:
        for failure in per_slice.failures:
            name, value = failure.metric_key.name, failure.metric_value.double_value.value
            bounds = failure.metric_threshold.value_threshold
            if failure.metric_key.is_diff:
                failures.append(f"{name} {value:+.4f} vs. baseline")
            elif bounds.HasField("upper_bound") and value > bounds.upper_bound.value:
                failures.append(f"{name} {value:.4f} > {bounds.upper_bound.value:g}")
            else:
                note = (f": {TRIVIAL_FAILURE_NOTES[name]}" if name in TRIVIAL_FAILURE_NOTES
                        else "")
                failures.append(f"{name} {value:.4f} < {bounds.lower_bound.value:g}{note}")
    return failures
