"""Feature charts from TFDV statistics: re-binning, category shares of every example, split
order, drift captions, and the data section's line on key columns."""

from tensorflow_metadata.proto.v0 import statistics_pb2

from components.data_gate.anomalies import DriftScore
from pipeline.reporting import feature_charts


def numeric(name, buckets, missing=0):
    feature = statistics_pb2.FeatureNameStatistics()
    feature.path.step.append(name)
    histogram = feature.num_stats.histograms.add()
    histogram.type = statistics_pb2.Histogram.STANDARD
    for low, high, count in buckets:
        histogram.buckets.add(low_value=low, high_value=high, sample_count=count)
    common = feature.num_stats.common_stats
    common.num_non_missing, common.num_missing = int(sum(b[2] for b in buckets)), missing
    return feature


def categorical(name, counts, missing=0, shown=None):
    """A categorical's statistics: `counts` of every value, the first `shown` of them in the
    rank histogram (TFDV keeps a limited number)."""
    feature = statistics_pb2.FeatureNameStatistics()
    feature.path.step.append(name)
    for value, count in list(counts.items())[:shown]:
        feature.string_stats.rank_histogram.buckets.add(label=value, sample_count=count)
    common = feature.string_stats.common_stats
    common.num_non_missing, common.num_missing = sum(counts.values()), missing
    feature.string_stats.unique = len(counts)
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


def test_shares_of_a_total_survive_an_empty_total():
    assert feature_charts.shares([1.0, 3.0], 8) == [0.125, 0.375]
    assert feature_charts.shares([0.0, 0.0], 0) == [0.0, 0.0]


def test_category_shares_are_of_all_examples_then_every_other_value():
    feature = categorical("pen", {"a": 6, "b": 3, "c": 1}, missing=10)
    assert feature_charts.category_shares(feature, ["a", "b"]) == [0.3, 0.15, 0.05]
    assert feature_charts.category_shares(feature, ["a", "b", "c"]) == [0.3, 0.15, 0.05, 0.0]


def test_a_categorical_with_many_values_is_charted_in_shares_of_every_example():
    # an id per example: 248 in train, 52 in eval; TFDV's rank histogram holds only 100
    train = {f"r{i}": 1 for i in range(248)}
    evaluation = {f"r{i}": 1 for i in range(248, 300)}
    chart = feature_charts.feature_chart("id", {"train": categorical("id", train, shown=100),
                                                "eval": categorical("id", evaluation)})
    assert ">train r0: 0.4%<" in chart  # 1 of 248 (the shares of the 12 shown said 8.3%)
    assert ">train other values: 95.2%<" in chart  # 236 of 248
    assert ">eval r0: 0.0%<" in chart and ">eval other values: 100.0%<" in chart
    assert chart.count(">train ") == 13  # 12 values and the others


def test_other_values_and_missing_values_are_left_out_when_there_are_none():
    chart = feature_charts.feature_chart("pen", {"train": categorical("pen", {"a": 1, "b": 3},
                                                                      missing=4)})
    assert ">train a: 12.5%<" in chart and ">train b: 37.5%<" in chart
    assert feature_charts.OTHER_VALUES not in chart


def test_a_numeric_histogram_is_in_shares_of_every_example():
    chart = feature_charts.feature_chart("z", {"train": numeric("z", [(0.0, 2.0, 4)],
                                                                missing=4)})
    assert ">train 0..0.1: 2.5%<" in chart  # 4 of 8 examples over 20 bins


def with_quantiles(feature, buckets):
    quantiles = feature.num_stats.histograms.add(type=statistics_pb2.Histogram.QUANTILES)
    for low, high, count in buckets:
        quantiles.buckets.add(low_value=low, high_value=high, sample_count=count)
    return feature


def test_the_quantiles_histogram_is_drawn_refined_by_the_equal_width_one():
    """An equal-width bucket [0, 5) holding 9 of 10 values was drawn as 4.5% in each of its
    ten bins; the quantiles (8 values in [0, 1)) put the mass where it is, and the equal-width
    edge at 5 splits the quantiles' last bucket [1, 10)."""
    feature = with_quantiles(numeric("tips", [(0.0, 5.0, 9), (5.0, 10.0, 1)]),
                             [(0.0, 0.0, 4), (0.0, 1.0, 4), (1.0, 10.0, 2)])
    assert feature_charts.numeric_buckets(feature) == [(0.0, 0.0, 4), (0.0, 1.0, 4),
                                                       (1.0, 5.0, 1), (5.0, 10.0, 1)]
    chart = feature_charts.feature_chart("tips", {"eval": feature})
    assert ">eval 0..0.5: 60.0%<" in chart  # 4 at 0 and half of the 4 in [0, 1)
    assert ">eval 0.5..1: 20.0%<" in chart
    assert ">eval 9.5..10: 1.0%<" in chart  # the quantiles alone: 1.1% in every bin from 1
    standard_only = numeric("tips", [(0.0, 5.0, 9), (5.0, 10.0, 1)])
    assert feature_charts.numeric_buckets(standard_only) == [(0.0, 5.0, 9), (5.0, 10.0, 1)]


def test_a_long_tail_is_drawn_decaying_not_flat():
    """The last tenth of taxi-like tips, 3 to 100, is one quantile bucket; the equal-width
    buckets say most of it lies below 20. Where the two disagree (the quantiles are
    approximate: 9 below 5, but 8 below 6), the cumulative count never goes down."""
    feature = with_quantiles(
        numeric("tips", [(0.0, 10.0, 95), (10.0, 20.0, 3), (20.0, 30.0, 1), (30.0, 90.0, 0),
                         (90.0, 100.0, 1)]),
        [(0.0, 0.0, 40), (0.0, 1.0, 20), (1.0, 2.0, 20), (2.0, 3.0, 10), (3.0, 100.0, 10)])
    assert feature_charts.numeric_buckets(feature) == [
        (0.0, 0.0, 40), (0.0, 1.0, 20), (1.0, 2.0, 20), (2.0, 3.0, 10), (3.0, 10.0, 5),
        (10.0, 20.0, 3), (20.0, 30.0, 1), (90.0, 100.0, 1)]
    disagreeing = with_quantiles(numeric("x", [(0.0, 5.0, 9), (5.0, 10.0, 1)]),
                                 [(0.0, 4.0, 5), (4.0, 6.0, 3), (6.0, 10.0, 2)])
    assert feature_charts.numeric_buckets(disagreeing) == [
        (0.0, 4.0, 5), (4.0, 5.0, 4), (6.0, 10.0, 1)]


def test_infinite_values_stay_out_of_the_merged_buckets():
    """Where both histograms have an edge (1), the quantiles' count holds."""
    inf = float("inf")
    feature = with_quantiles(numeric("x", [(0.0, 1.0, 3), (1.0, 2.0, 1), (inf, inf, 1)]),
                             [(0.0, 1.0, 2.5), (1.0, inf, 2.5)])
    assert feature_charts.numeric_buckets(feature) == [(0.0, 1.0, 2.5), (1.0, 2.0, 1.5),
                                                       (inf, inf, 1)]


def test_the_key_line_names_each_key_and_its_distinct_values_per_split():
    statistics = {"train": {"id": categorical("id", {"r0": 1, "r1": 1}), "n": numeric("n", [])},
                  "eval": {"id": categorical("id", {"r2": 1})}}
    assert feature_charts.key_line(statistics, ["id"]) == (
        "Not charted: the key column id (distinct values: 2 in train, 1 in eval) "
        "(never a model input).")
    assert feature_charts.key_line(statistics, ["id", "n"]) == (
        "Not charted: the key columns id (distinct values: 2 in train, 1 in eval); n "
        "(never a model input).")
    assert feature_charts.key_line(statistics, []) == ""


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
    assert rows["train"][1][-1] == "1 values"


def test_the_data_section_gives_key_columns_a_line_not_a_chart():
    from pipeline.reporting import report_sections

    statistics = {"train": {"id": categorical("id", {f"r{i}": 1 for i in range(3)}),
                            "pen": categorical("pen", {"a": 2, "b": 1}),
                            "z": numeric("z", [(0.0, 1.0, 3)])}}
    section = report_sections.data_section(statistics, ["id", "pen", "z"], ["id"], None, {}, {})
    assert ("<p>Not charted: the key column id (distinct values: 3 in train) (never a model "
            "input).</p>") in section
    assert section.count("<figure>") == 2
    assert ">train a: 66.7%<" in section and ">train r0:" not in section
    assert "<td>id</td><td>3</td>" in section  # the statistics table still lists the key


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


def test_a_thin_long_tail_is_left_out_of_the_range_and_named_in_the_title():
    """Five fares of 50-700 among 1,000 stretched the axis to 700, drawing 99% of the fares as
    one bar; the range drawn now ends where each split has 99.5% of its values."""
    fares = numeric("fare", [(0.0, 10.0, 900), (10.0, 20.0, 80), (20.0, 50.0, 15),
                             (50.0, 700.0, 5)])
    clipped, note = feature_charts.clip_tails({"train": feature_charts.numeric_buckets(fares)})
    assert clipped == {"train": [(0.0, 10.0, 900), (10.0, 20.0, 80), (20.0, 50.0, 15)]}
    assert note == " (values above 50, up to 0.5% of a series, not drawn)"
    chart = feature_charts.feature_chart("fare", {"train": fares})
    assert "fare (values above 50, up to 0.5% of a series, not drawn)</text>" in chart
    assert ">train 0..2.5: 22.5%<" in chart  # 900 of 1,000 over four bins of 2.5
    spread = {"train": [(0.0, 10.0, 500), (10.0, 20.0, 495), (20.0, 700.0, 5)],
              "eval": [(0.0, 700.0, 100)]}
    assert feature_charts.clip_tails(spread) == (spread, "")  # eval fills the whole range
