"""The trivial predictors' eval scores for the run summary, from StatisticsGen's label
statistics: the accuracy of always predicting the train split's most frequent class, and the
RMSE of always predicting the train split's label mean."""

from __future__ import annotations

import math
import os
from typing import Dict, Optional


def _label_feature_stats(statistics_uri: str, split: str, label: str):
    from tensorflow_data_validation import load_stats_binary

    stats = load_stats_binary(os.path.join(statistics_uri, f"Split-{split}", "FeatureStats.pb"))
    for feature in stats.datasets[0].features:
        if feature.path.step == [label]:
            return feature
    return None


def class_counts(feature_stats) -> Dict[str, float]:
    """Examples per class of a label's TFDV statistics: the rank histogram of a categorical
    label, or the mean of a 0/1 (bool_domain) label."""
    if feature_stats.HasField("string_stats"):
        return {bucket.label: bucket.sample_count
                for bucket in feature_stats.string_stats.rank_histogram.buckets}
    present = feature_stats.num_stats.common_stats.num_non_missing
    return {"0": present * (1.0 - feature_stats.num_stats.mean),
            "1": present * feature_stats.num_stats.mean}


def majority_class_accuracy(statistics_uri: str, label: str) -> Optional[float]:
    """Eval accuracy of always predicting the train split's most frequent class."""
    train, evaluation = (_label_feature_stats(statistics_uri, s, label) for s in ("train", "eval"))
    if train is None or evaluation is None:
        return None
    train_counts, eval_counts = class_counts(train), class_counts(evaluation)
    if not train_counts or not sum(eval_counts.values()):
        return None
    majority = max(sorted(train_counts), key=train_counts.get)
    return eval_counts.get(majority, 0.0) / sum(eval_counts.values())


def mean_predictor_rmse(statistics_uri: str, label: str) -> Optional[float]:
    """Eval RMSE of always predicting the train split's label mean."""
    train, evaluation = (_label_feature_stats(statistics_uri, s, label)
                         for s in ("train", "eval"))
    if train is None or evaluation is None:
        return None
    return math.sqrt(evaluation.num_stats.std_dev ** 2
                     + (train.num_stats.mean - evaluation.num_stats.mean) ** 2)
