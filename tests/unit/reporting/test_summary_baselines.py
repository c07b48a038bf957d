"""The run summary's trivial baselines (pipeline/reporting/summary_baselines.py), from TFDV
statistics: the majority class's accuracy for classifiers (categorical and 0/1 labels) and the
mean predictor's RMSE for regression."""

import os

import pytest
from tensorflow_metadata.proto.v0 import statistics_pb2

from pipeline.reporting import summary_baselines


def write_split(root, split, fill):
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    feature = stats.datasets.add().features.add()
    feature.path.step.append("y")
    fill(feature)
    os.makedirs(root / f"Split-{split}")
    (root / f"Split-{split}" / "FeatureStats.pb").write_bytes(stats.SerializeToString())


def classes(counts):
    def fill(feature):
        for label, count in counts.items():
            feature.string_stats.rank_histogram.buckets.add(label=label, sample_count=count)
    return fill


def test_majority_class_of_train_scored_on_eval(tmp_path):
    write_split(tmp_path, "train", classes({"cat": 60, "dog": 30, "emu": 10}))
    write_split(tmp_path, "eval", classes({"cat": 5, "dog": 12, "emu": 3}))
    assert summary_baselines.majority_class_accuracy(str(tmp_path), "y") == pytest.approx(5 / 20)


def test_majority_class_of_a_zero_one_label(tmp_path):
    def numeric(mean, count):
        def fill(feature):
            feature.num_stats.mean = mean
            feature.num_stats.common_stats.num_non_missing = count
        return fill

    write_split(tmp_path, "train", numeric(0.25, 400))
    write_split(tmp_path, "eval", numeric(0.4, 100))
    assert summary_baselines.majority_class_accuracy(str(tmp_path), "y") == pytest.approx(0.6)


def test_mean_predictor_rmse(tmp_path):
    def numeric(mean, std):
        def fill(feature):
            feature.num_stats.mean = mean
            feature.num_stats.std_dev = std
        return fill

    write_split(tmp_path, "train", numeric(2.0, 1.0))
    write_split(tmp_path, "eval", numeric(5.0, 4.0))
    assert summary_baselines.mean_predictor_rmse(str(tmp_path), "y") == pytest.approx(5.0)  # sqrt(16+9)
