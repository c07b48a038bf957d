"""The Evaluator's TFMA config follows the schema's task: keys, metrics, bounds and directions."""

import json

import pytest
import tensorflow_model_analysis as tfma

from pipeline.evaluation import (BOUNDED_METRICS, applicable_bounds, eval_config,
                                 inapplicable_bounds)
from schemas import DType, Feature, FeatureSet, Role


def features_with(classes):
    return FeatureSet((Feature("x", Role.NUMERIC, DType.FLOAT),
                       Feature("y", Role.LABEL, DType.FLOAT if classes is None else DType.BYTES,
                               classes=classes)))


def thresholds(config):
    found = {}
    for spec in config.metrics_specs:
        for metric in spec.metrics:
            if metric.HasField("threshold"):
                name = json.loads(metric.config)["name"]
                found[name] = metric.threshold
    return found


@pytest.mark.parametrize("classes, prediction_key, preprocessing", [
    (None, "prediction", []),
    (("no", "yes"), "positive_probability", ["transform_features"]),
    (("a", "b", "c"), "probabilities", ["transform_features"]),
])
def test_model_spec_by_task(classes, prediction_key, preprocessing):
    [spec] = eval_config(features_with(classes), 1.0).model_specs
    assert (spec.label_key, spec.prediction_key) == ("y", prediction_key)
    assert list(spec.preprocessing_function_names) == preprocessing


def test_regression_rmse_bound_and_no_higher_than_baseline():
    found = thresholds(eval_config(features_with(None), 0.8))
    assert sorted(found) == ["r_squared", "root_mean_squared_error"]  # r_squared: trivial-
    threshold = found["root_mean_squared_error"]  # baseline tests are test_trivial_baselines.py
    assert threshold.value_threshold.upper_bound.value == 0.8
    assert threshold.change_threshold.direction == tfma.MetricDirection.LOWER_IS_BETTER


def test_binary_accuracy_and_auc_bounds_auc_no_lower_than_baseline():
    config = eval_config(features_with(("no", "yes")), 1.0, min_accuracy=0.7, min_auc=0.85)
    found = thresholds(config)
    assert found["accuracy"].value_threshold.lower_bound.value == 0.7
    assert not found["accuracy"].HasField("change_threshold")
    assert found["auc"].value_threshold.lower_bound.value == 0.85
    assert found["auc"].change_threshold.direction == tfma.MetricDirection.HIGHER_IS_BETTER
    assert found["auc"].change_threshold.absolute.value < 0
    names = {m.class_name for spec in config.metrics_specs for m in spec.metrics}
    assert {"Precision", "Recall", "Calibration", "ConfusionMatrixPlot"} <= names


def test_multiclass_accuracy_per_class_precision_recall_and_confusion_matrix():
    config = eval_config(features_with(("a", "b", "c")), 1.0, min_accuracy=0.9)
    found = thresholds(config)
    assert found["accuracy"].value_threshold.lower_bound.value == 0.9
    assert found["accuracy"].change_threshold.direction == tfma.MetricDirection.HIGHER_IS_BETTER
    per_class = [spec for spec in config.metrics_specs if spec.binarize.class_ids.values]
    assert [list(spec.binarize.class_ids.values) for spec in per_class] == [[0, 1, 2]]
    assert {m.class_name for m in per_class[0].metrics} == {"Precision", "Recall"}
    assert "MultiClassConfusionMatrixPlot" in {m.class_name for s in config.metrics_specs
                                               for m in s.metrics}


def test_open_label_domain_is_multiclass_without_per_class_metrics():
    features = FeatureSet((Feature("x", Role.NUMERIC, DType.FLOAT),
                           Feature("y", Role.LABEL, DType.BYTES, classes=(), open_classes=True)))
    config = eval_config(features, 1.0, min_accuracy=0.9)
    [spec] = config.model_specs
    assert spec.prediction_key == "probabilities"
    assert thresholds(config)["accuracy"].value_threshold.lower_bound.value == 0.9
    assert [spec for spec in config.metrics_specs if spec.HasField("binarize")] == []
    assert {m.class_name for s in config.metrics_specs for m in s.metrics} == {
        "ExampleCount", "SparseCategoricalAccuracy", "AccuracyOverMajorityClass",
        "MultiClassConfusionMatrixPlot"}


def test_the_thresholds_a_model_failed_are_named(tmp_path):
    """A taxi model (1,500 rows, 200 steps) with eval RMSE 2.72 against init's bound 2.445
    printed `blessed  no` and nothing of why; TFMA's validation result holds each failure."""
    import tensorflow as tf
    from tensorflow_model_analysis.proto import validation_result_pb2

    from pipeline.evaluation import blessing_failures
    from pipeline.reporting import summary

    result = validation_result_pb2.ValidationResult(validation_ok=False)
    failures = result.metric_validations_per_slice.add().failures
    rmse = failures.add()
    rmse.metric_key.name = "root_mean_squared_error"
    rmse.metric_threshold.value_threshold.upper_bound.value = 2.445
    rmse.metric_value.double_value.value = 2.722245454788208
    worse = failures.add()
    worse.metric_key.name = "root_mean_squared_error"
    worse.metric_key.is_diff = True
    worse.metric_value.double_value.value = 0.0312
    accuracy = failures.add()
    accuracy.metric_key.name = "accuracy"
    accuracy.metric_threshold.value_threshold.lower_bound.value = 0.4057
    accuracy.metric_value.double_value.value = 0.25
    trivial = failures.add()
    trivial.metric_key.name = "r_squared"
    trivial.metric_threshold.value_threshold.lower_bound.value = 0.0
    trivial.metric_value.double_value.value = -0.0123
    with tf.io.TFRecordWriter(str(tmp_path / "validations.tfrecord")) as writer:
        writer.write(result.SerializeToString())
    reasons = blessing_failures(str(tmp_path))
    assert reasons == ["root_mean_squared_error 2.7222 > 2.445",
                       "root_mean_squared_error +0.0312 vs. baseline", "accuracy 0.2500 < 0.4057",
                       "r_squared -0.0123 < 0: worse than always predicting the eval split's "
                       "mean"]
    run = summary.RunSummary(run_id="r", nodes=[], blessed=False, blessing_failures=reasons[:1])
    assert "  blessed                           no (root_mean_squared_error 2.7222 > 2.445)" in (
        run.render().splitlines())


@pytest.mark.parametrize("classes", [None, ("no", "yes"), ("a", "b", "c")])
def test_bounded_metrics_are_the_thresholded_metrics_of_each_task(classes):
    """BOUNDED_METRICS is what `load_config` checks a config's bounds against (the trivial-
    predictor bound, `beat_trivial_predictor`, is no bound setting's)."""
    features = features_with(classes)
    assert set(thresholds(eval_config(features, 1.0, beat_trivial=False))) == set(
        BOUNDED_METRICS[features.task])


def test_bounds_that_apply_and_bounds_for_another_task():
    assert applicable_bounds(["auc", "accuracy", "example_count"]) == ["min_eval_accuracy",
                                                                      "min_eval_auc"]
    assert inapplicable_bounds(["min_eval_auc", "train_steps", "max_eval_rmse"],
                               ["accuracy"]) == ["max_eval_rmse", "min_eval_auc"]
    assert inapplicable_bounds(["max_eval_rmse"], ["root_mean_squared_error"]) == []
