"""The trivial-predictor metrics TFMA computes on the eval split (pipeline/trivial_baselines.py):
exact values from hand-made labels and predictions, merged accumulators, and the classes TFMA
finds through the metric config."""

import json
import math

import numpy as np
import pytest
from tensorflow_model_analysis.metrics import metric_specs, metric_types

from pipeline import trivial_baselines
from pipeline.evaluation import eval_config
from schemas import DType, Feature, FeatureSet, Role


def inputs(label, prediction, weight=1.0, dtype=np.float32):
    return metric_types.StandardMetricInputs(
        labels=np.array([label]), predictions=np.array(prediction, dtype=dtype).reshape(-1),
        example_weights=np.array([weight]))


def metric_value(metric, elements, split_at=None):
    """The metric over `elements`, accumulated in two halves and merged when `split_at`."""
    [computation] = metric.computations()
    combiner = computation.combiner
    parts = [elements] if split_at is None else [elements[:split_at], elements[split_at:]]
    accumulators = []
    for part in parts:
        accumulator = combiner.create_accumulator()
        for element in part:
            accumulator = combiner.add_input(accumulator, element)
        accumulators.append(accumulator)
    [value] = combiner.extract_output(combiner.merge_accumulators(accumulators)).values()
    return value


def test_r_squared_is_one_minus_sse_over_sst():
    # labels 1, 2, 3, 6: mean 3, SST 1 + 4 + 0 + 9 = 14; errors 0.5, 0, -1, 1: SSE 2.25
    elements = [inputs(1.0, 0.5), inputs(2.0, 2.0), inputs(3.0, 4.0), inputs(6.0, 5.0)]
    metric = trivial_baselines.RSquared()
    assert metric_value(metric, elements) == pytest.approx(1 - 2.25 / 14)
    assert metric_value(metric, elements, split_at=1) == pytest.approx(1 - 2.25 / 14)


def test_r_squared_of_the_mean_is_zero_and_worse_is_negative():
    labels = [1.0, 2.0, 3.0, 6.0]
    metric = trivial_baselines.RSquared()
    assert metric_value(metric, [inputs(y, 3.0) for y in labels]) == pytest.approx(0.0)
    assert metric_value(metric, [inputs(y, 4.0) for y in labels]) == pytest.approx(1 - 18 / 14)


def test_when_every_label_is_the_same_an_exact_model_ties_the_mean_and_any_error_loses():
    metric = trivial_baselines.RSquared()
    assert metric_value(metric, [inputs(2.0, 2.0), inputs(2.0, 2.0)]) == 0.0
    assert metric_value(metric, [inputs(2.0, 2.0), inputs(2.0, 1.0)]) == -math.inf
    assert math.isnan(trivial_baselines.LabelSums().r_squared())  # no examples


def test_labels_with_a_large_mean_and_a_small_spread_keep_their_precision():
    """Summing labels and their squares in one pass lost every digit of SST here (NaN)."""
    labels = [1.7e9 + i for i in range(8)]  # SST 42; errors of 0.1: SSE 0.08
    elements = [inputs(y, y + 0.1, dtype=np.float64) for y in labels]
    for split_at in (None, 3):
        assert metric_value(trivial_baselines.RSquared(), elements, split_at) == \
            pytest.approx(1 - 0.08 / 42, abs=1e-6)


def test_multiclass_accuracy_over_the_majority_class():
    # classes 0, 0, 0, 1, 2: majority share 3/5; argmax right for 4 of 5
    elements = [inputs(0, [0.8, 0.1, 0.1]), inputs(0, [0.5, 0.4, 0.1]),
                inputs(0, [0.2, 0.7, 0.1]), inputs(1, [0.1, 0.8, 0.1]),
                inputs(2, [0.1, 0.1, 0.8])]
    metric = trivial_baselines.AccuracyOverMajorityClass()
    assert metric_value(metric, elements) == pytest.approx(4 / 5 - 3 / 5)
    assert metric_value(metric, elements, split_at=2) == pytest.approx(4 / 5 - 3 / 5)


def test_binary_accuracy_over_the_majority_class_picks_class_one_above_one_half():
    # labels 1, 0, 0, 0: majority share 3/4; p = 0.5 is class 0 (right), 0.9 for a 0 is wrong
    elements = [inputs(1, [0.7]), inputs(0, [0.5]), inputs(0, [0.9]), inputs(0, [0.1])]
    assert metric_value(trivial_baselines.AccuracyOverMajorityClass(), elements) == \
        pytest.approx(3 / 4 - 3 / 4)


def test_always_the_largest_class_scores_zero_and_weights_count():
    elements = [inputs(0, [0.9, 0.1]), inputs(0, [0.9, 0.1]), inputs(1, [0.9, 0.1], 3.0)]
    metric = trivial_baselines.AccuracyOverMajorityClass()
    assert metric_value(metric, elements[:2] + [inputs(1, [0.9, 0.1])]) == pytest.approx(0.0)
    combiner = metric.computations(example_weighted=True)[0].combiner
    accumulator = combiner.create_accumulator()
    for element in elements:
        accumulator = combiner.add_input(accumulator, element)
    [value] = combiner.extract_output(accumulator).values()
    assert value == pytest.approx(2 / 5 - 3 / 5)  # class 1 weighs 3 of 5: the majority


def test_balanced_accuracy_over_chance_is_the_mean_recall_minus_one_over_k():
    """A class-weighted binary model (breast cancer, malignant 10%) recalled every malignant
    case at accuracy 0.897 < the majority share 0.92: accuracy over the majority class refused
    it; its balanced accuracy is what its loss aimed at."""
    # 9 benign (0), 1 malignant (1): predicts 1 for the malignant and for 2 benign
    elements = ([inputs(0, [0.2])] * 7 + [inputs(0, [0.7])] * 2 + [inputs(1, [0.9])])
    balanced = trivial_baselines.BalancedAccuracyOverChance()
    assert metric_value(balanced, elements) == pytest.approx((7 / 9 + 1) / 2 - 1 / 2)
    assert metric_value(balanced, elements, split_at=8) == pytest.approx((7 / 9 + 1) / 2 - 1 / 2)
    assert metric_value(trivial_baselines.AccuracyOverMajorityClass(), elements) == \
        pytest.approx(8 / 10 - 9 / 10)
    always_benign = [inputs(0, [0.1])] * 9 + [inputs(1, [0.1])]
    assert metric_value(balanced, always_benign) == pytest.approx(0.0)
    # three classes: recalls 1, 1/2 and 0
    three = [inputs(0, [0.8, 0.1, 0.1]), inputs(1, [0.1, 0.8, 0.1]), inputs(1, [0.8, 0.1, 0.1]),
             inputs(2, [0.1, 0.8, 0.1])]
    assert metric_value(balanced, three) == pytest.approx(0.5 - 1 / 3)


@pytest.mark.parametrize("classes, class_name", [
    (None, "RSquared"), (("no", "yes"), "AccuracyOverMajorityClass"),
    (("a", "b", "c"), "AccuracyOverMajorityClass")])
def test_tfma_builds_the_metric_from_the_eval_config(classes, class_name):
    features = FeatureSet((Feature("x", Role.NUMERIC, DType.FLOAT),
                           Feature("y", Role.LABEL, DType.FLOAT if classes is None else
                                   DType.BYTES, classes=classes)))
    [config] = [m for spec in eval_config(features, 1.0).metrics_specs for m in spec.metrics
                if m.module == "pipeline.trivial_baselines"]
    assert config.class_name == class_name
    assert config.threshold.value_threshold.lower_bound.value == 0.0
    assert len(json.loads(config.config)["code_fingerprint"]) == 16
    metric = metric_specs.metric_instance(config)
    assert isinstance(metric, getattr(trivial_baselines, class_name))
    weighted = [m.class_name for spec in eval_config(features, 1.0, balanced_classes=True)
                .metrics_specs for m in spec.metrics if m.module == "pipeline.trivial_baselines"]
    assert weighted == ["RSquared" if classes is None else "BalancedAccuracyOverChance"]
    unbounded = [m for spec in eval_config(features, 1.0, beat_trivial=False).metrics_specs
                 for m in spec.metrics if m.module == "pipeline.trivial_baselines"]
    assert [m.HasField("threshold") for m in unbounded] == [False]
