"""TFMA metrics that compare a model with the trivial predictor on the eval split itself.

The blessing bounds a config holds (`max_eval_rmse`, `min_eval_accuracy`) are fixed numbers;
`init` drafts them from the whole CSV. The eval split's own label mean or class shares can
differ from the whole file's, most on small or heavy-tailed data, so a model worse than always
predicting the eval split's mean (or its largest class) could pass them. These metrics read the
eval split's labels in the same pass as the predictions:

- `r_squared` (regression): 1 - SSE / SST, the coefficient of determination. 0 is the RMSE of
  always predicting the eval labels' mean; below 0 is worse than that.
- `accuracy_over_majority_class` (classifiers): accuracy minus the eval split's largest class
  share (the accuracy of always predicting that class); below 0 is worse than that.
- `balanced_accuracy_over_chance` (classifiers trained with balanced class weights, whose loss
  weighs every class alike, which moves the decision away from the largest class on purpose):
  the mean of the classes' recalls minus 1 / K, what always predicting one class scores.

`pipeline/evaluation.py` bounds both below by 0 when `beat_trivial_predictor` is on. TFMA
finds the classes through the `module` of their `MetricConfig`; the config also carries a
fingerprint of this file, so TFX's cache key changes when the code does.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Dict, Iterable, Optional

import apache_beam as beam
import numpy as np
from tensorflow_model_analysis.metrics import metric_types, metric_util

from pipeline.evaluation import (ACCURACY_OVER_MAJORITY, BALANCED_ACCURACY_OVER_CHANCE,
                                 R_SQUARED)


@dataclasses.dataclass
class LabelSums:
    """What both metrics accumulate: (weighted) examples, the labels' mean and sum of squared
    deviations from it (updated and merged as Welford and Chan et al. do, so labels with a large
    mean and a small spread keep their precision), squared errors, correct predictions and
    examples per class."""

    weight: float = 0.0
    label_mean: float = 0.0
    label_deviations: float = 0.0  # sum of weight * (label - mean)^2: SST
    squared_error_sum: float = 0.0
    correct: float = 0.0
    per_class: Dict[int, float] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(float))
    correct_per_class: Dict[int, float] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(float))

    def add_label(self, label: float, weight: float) -> None:
        """One regression label into the weight, the mean and SST."""
        self.weight += weight
        if self.weight:
            delta = label - self.label_mean
            self.label_mean += delta * weight / self.weight
            self.label_deviations += weight * delta * (label - self.label_mean)

    def merge(self, other: "LabelSums") -> None:
        total = self.weight + other.weight
        if total:
            delta = other.label_mean - self.label_mean
            self.label_deviations += (other.label_deviations
                                      + delta ** 2 * self.weight * other.weight / total)
            self.label_mean += delta * other.weight / total
        self.weight = total
        self.squared_error_sum += other.squared_error_sum
        self.correct += other.correct
        for label, weight in other.per_class.items():
            self.per_class[label] += weight
        for label, weight in other.correct_per_class.items():
            self.correct_per_class[label] += weight

    def r_squared(self) -> float:
        """1 - SSE / SST; NaN without examples. When every label is the same (SST 0) the mean
        predictor is exact: 0 for a model as exact, minus infinity for any error."""
        if not self.weight:
            return float("nan")
        if self.label_deviations > 0:
            return 1.0 - self.squared_error_sum / self.label_deviations
        return 0.0 if self.squared_error_sum == 0 else float("-inf")

    def accuracy_over_majority(self) -> float:
        """Accuracy minus the largest class's share; NaN without examples."""
        if not self.weight:
            return float("nan")
        return (self.correct - max(self.per_class.values())) / self.weight

    def balanced_accuracy_over_chance(self) -> float:
        """The mean of the classes' recalls minus 1 / K (K: the classes in the labels), what
        always predicting one class scores; NaN without examples."""
        if not self.weight:
            return float("nan")
        recalls = [self.correct_per_class[label] / count
                   for label, count in self.per_class.items() if count]
        return sum(recalls) / len(recalls) - 1.0 / len(recalls)


def predicted_class(prediction: np.ndarray) -> int:
    """The class a classifier's prediction picks: for one probability (binary), class 1 above
    0.5 (as Keras's and TFMA's binary accuracy); for K probabilities, the most probable (the
    first of equals, as argmax)."""
    if prediction.size == 1:
        return int(float(prediction.item()) > 0.5)
    return int(np.argmax(prediction))


class _LabelSumsCombiner(beam.CombineFn):
    """Accumulates `LabelSums` over one model output's examples; emits one metric of them."""

    def __init__(self, key: metric_types.MetricKey, eval_config, example_weighted: bool,
                 value: str):
        self._key = key
        self._eval_config = eval_config
        self._example_weighted = example_weighted
        self._value = value  # the LabelSums method that gives the metric
        self._classification = value != "r_squared"

    def create_accumulator(self) -> LabelSums:
        return LabelSums()

    def add_input(self, sums: LabelSums, element: metric_types.StandardMetricInputs
                  ) -> LabelSums:
        for label, prediction, weight in metric_util.to_label_prediction_example_weight(
                element, eval_config=self._eval_config, model_name=self._key.model_name,
                output_name=self._key.output_name, example_weighted=self._example_weighted,
                flatten=False):
            weight = float(metric_util.safe_to_scalar(weight))
            value = float(metric_util.safe_to_scalar(label))
            if self._classification:
                sums.weight += weight
                sums.per_class[int(value)] += weight
                right = weight * (predicted_class(prediction) == int(value))
                sums.correct += right
                sums.correct_per_class[int(value)] += right
            else:
                sums.add_label(value, weight)
                error = value - float(metric_util.safe_to_scalar(prediction))
                sums.squared_error_sum += weight * error ** 2
        return sums

    def merge_accumulators(self, accumulators: Iterable[LabelSums]) -> LabelSums:
        accumulators = iter(accumulators)
        result = next(accumulators)
        for sums in accumulators:
            result.merge(sums)
        return result

    def extract_output(self, sums: LabelSums) -> metric_types.MetricsDict:
        return {self._key: getattr(sums, self._value)()}


def _computations(value: str):
    def computations(name: Optional[str] = None, eval_config=None,
                     model_name: Optional[str] = None, output_name: Optional[str] = None,
                     example_weighted: bool = False, sub_key=None, aggregation_type=None,
                     class_weights=None, preprocessors=None
                     ) -> metric_types.MetricComputations:
        del sub_key, aggregation_type, class_weights
        key = metric_types.MetricKey(name=name, model_name=model_name,
                                     output_name=output_name,
                                     example_weighted=example_weighted)
        return [metric_types.MetricComputation(
            keys=[key], preprocessors=preprocessors,
            combiner=_LabelSumsCombiner(key, eval_config, example_weighted, value))]
    return computations


class RSquared(metric_types.Metric):
    """The coefficient of determination on the eval split (see the module docstring)."""

    def __init__(self, name: str = R_SQUARED, code_fingerprint: str = ""):
        del code_fingerprint  # in the config for TFX's cache key only
        super().__init__(metric_util.merge_per_key_computations(_computations("r_squared")),
                         name=name)


class AccuracyOverMajorityClass(metric_types.Metric):
    """Accuracy minus the eval split's largest class share (see the module docstring)."""

    def __init__(self, name: str = ACCURACY_OVER_MAJORITY, code_fingerprint: str = ""):
        del code_fingerprint  # in the config for TFX's cache key only
        super().__init__(metric_util.merge_per_key_computations(
            _computations("accuracy_over_majority")), name=name)


class BalancedAccuracyOverChance(metric_types.Metric):
    """The mean of the classes' recalls minus 1 / K (see the module docstring)."""

    def __init__(self, name: str = BALANCED_ACCURACY_OVER_CHANCE, code_fingerprint: str = ""):
        del code_fingerprint  # in the config for TFX's cache key only
        super().__init__(metric_util.merge_per_key_computations(
            _computations("balanced_accuracy_over_chance")), name=name)
