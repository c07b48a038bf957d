"""Feature charts from TFDV statistics: re-binning, category shares, split order, drift captions."""

from tensorflow_metadata.proto.v0 import statistics_pb2

from components.data_gate.anomalies import DriftScore
from pipeline.reporting import feature_charts


def numeric(name, buckets):
    feature = statistics_pb2.FeatureNameStatistics()
    feature.path.step.append(name)
    histogram = feature.num_stats.histograms.add()
    histogram.type = statistics_pb2.Histogram.STANDARD
    for low, high, count in buckets:
        histogram.buckets.add(low_value=low, high_value=high, sample_count=count)
    return feature


def categorical(name, counts):
    feature = statistics_pb2.FeatureNameStatistics()
    feature.path.step.append(name)
    for value, count in counts.items():
        feature.string_stats.rank_histogram.buckets.add(label=value, sample_count=count)
    return feature


def test_rebin_spreads_each_bucket_uniformly_over_the_new_edges():
    buckets = [(0.0, 2.0, 10.0), (2.0, 4.0, 30.0)]
    assert feature_charts.rebin(buckets, [0.0, 1.0, 3.0, 4.0]) == [5.0, 20.0, 15.0]
    assert feature_charts.rebin([(2.0, 2.0, 7.0)], [0.0, 2.0, 4.0]) == [7.0, 0.0]
    assert feature_charts.rebin([(4.0, 4.0, 3.0)], [0.0, 2.0, 4.0]) == [0.0, 3.0]


def test_common_edges_cover_every_split():
    edges = feature_charts.common_edges([[(0.0, 5.0, 1)], [(-5.0, 1.0, 1)]], bins=4)
    assert edges == [-5.0, -2.5, 0.0, 2.5, 5.0]
    assert feature_charts.common_edges([[(3.0, 3.0, 9)]], bins=2) == [2.5, 3.0, 3.5]


def test_shares_sum_to_one_and_survive_empty_counts():
    assert feature_charts.shares([1.0, 3.0]) == [0.25, 0.75]
    assert feature_charts.shares([0.0, 0.0]) == [0.0, 0.0]


def test_category_counts_read_the_rank_histogram():
    assert feature_charts.category_counts(categorical("pen", {"a": 3, "b": 1})) == {"a": 3,
                                                                                    "b": 1}


def test_statistics_charts_in_the_given_order_train_first_with_drift_captions():
    statistics = {
        "eval": {"z": numeric("z", [(0.0, 1.0, 1)]), "pen": categorical("pen", {"a": 1})},
        "train": {"z": numeric("z", [(0.0, 2.0, 4)]), "pen": categorical("pen", {"a": 3, "b": 1}),
                  "image": statistics_pb2.FeatureNameStatistics()},
    }
    previous = {"pen": categorical("pen", {"b": 2})}
    drift = {"pen": DriftScore("pen", "L_INFTY", 0.75, 0.3)}
    result = feature_charts.statistics_charts(statistics, ["image", "pen", "z"], previous, drift)
    assert [name for name, _, _ in result] == ["pen", "z"]  # the image has no chart
    pen_chart, pen_caption = result[0][1], result[0][2]
    assert pen_chart.index(">train<") < pen_chart.index(">eval<") < pen_chart.index(
        f">{feature_charts.PREVIOUS_SERIES}<")
    assert "train a: 75.0%" in pen_chart and "previous span (train) b: 100.0%" in pen_chart
    assert pen_caption == ("L-infinity distance from the previous span: 0.750 (over the gate's "
                           "threshold 0.3)")
    assert result[1][2] == ""
    assert "train 0..0.1: 5.0%" in result[1][1]  # 4 examples over [0, 2] -> 20 bins of 0.1


def test_statistics_rows_summarise_each_kind():
    feature = numeric("z", [(0.0, 1.0, 2)])
    feature.num_stats.mean, feature.num_stats.common_stats.num_non_missing = 0.5, 2
    rows = feature_charts.statistics_rows({"train": {"z": feature,
                                                      "pen": categorical("pen", {"a": 1})}})
    assert rows["train"][0] == ["z", 2, 0, 0.5, 0.0, 0.0, 0.0, ""]
    assert rows["train"][1][-1] == "0 values"


def test_a_bucket_of_infinite_values_is_left_out_of_the_histogram_and_counted():
    """TFDV gives infinite values a bucket (inf, inf): its edges made the chart's ticks
    NaN, and writing the report failed."""
    inf = float("inf")
    statistics = {"train": {"bmi": numeric("bmi", [(18.0, 30.0, 300.0), (30.0, 42.0, 40.0)])},
                  "eval": {"bmi": numeric("bmi", [(19.0, 41.0, 87.0), (inf, inf, 1.0)])}}
    [(name, chart, caption)] = feature_charts.statistics_charts(statistics, ["bmi"])
    assert name == "bmi" and caption == ""
    assert "<text x='195' y='16' text-anchor='middle' font-weight='bold'>bmi (1 value not a " \
           "finite number: not drawn)</text>" in chart
    assert "nan" not in chart and "inf" not in chart
