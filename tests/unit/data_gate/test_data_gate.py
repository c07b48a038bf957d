"""The data gate: one line per anomaly, image byte limits, and the schema passed on when clean."""

import os

import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx.utils import io_utils

from components.data_gate import anomalies as anomalies_lib
from components.data_gate import executor


def anomalies_proto():
    proto = anomalies_pb2.Anomalies()
    info = proto.anomaly_info["pen"]
    info.short_description = "Unexpected string values"
    info.reason.add(short_description="Unexpected string values",
                    description="Examples contain values missing from the schema: d (<1%).")
    proto.anomaly_info["z"].reason.add(short_description="Out-of-range values",
                                       description="Unexpectedly high value: 55>10")
    return proto


def test_one_line_per_anomaly():
    lines = [a.line() for a in anomalies_lib.anomalies_from_proto("train", anomalies_proto())]
    assert lines == [
        "[train] pen: Unexpected string values: Examples contain values missing from the "
        "schema: d (<1%).",
        "[train] z: Out-of-range values: Unexpectedly high value: 55>10"]


def test_image_byte_limit(make_digits_schema, image_byte_statistics):
    assert anomalies_lib.image_domain_anomalies(
        "eval", make_digits_schema(), image_byte_statistics(1000)) == []
    [anomaly] = anomalies_lib.image_domain_anomalies("eval", make_digits_schema(),
                                                     image_byte_statistics(1001))
    assert anomaly.line() == ("[eval] image: Image over the byte limit: largest image has 1001 "
                              "bytes > max_image_byte_size 1000")


def test_clean_data_passes_the_schema_on(tmp_path, make_data_gate_artifacts, make_digits_schema):
    inputs, outputs = make_data_gate_artifacts(tmp_path, anomalies_pb2.Anomalies(),
                                               largest_image=10)
    executor.Executor().Do(inputs, outputs, {})
    copied = io_utils.SchemaReader().read(
        os.path.join(outputs["validated_schema"][0].uri, executor.SCHEMA_FILE))
    assert copied == make_digits_schema()


def test_anomalies_stop_the_run_with_every_line(tmp_path, make_data_gate_artifacts):
    inputs, outputs = make_data_gate_artifacts(tmp_path, anomalies_proto(), largest_image=5000)
    with pytest.raises(anomalies_lib.DataAnomaliesError) as raised:
        executor.Executor().Do(inputs, outputs, {})
    message = str(raised.value)
    assert message.startswith("data validation found 3 anomalies; Transform and Trainer did not "
                              f"run (full report: {tmp_path / 'anomalies'}):")
    assert len(message.splitlines()) == 4
    assert "[train] image: Image over the byte limit" in message
    assert not os.path.exists(outputs["validated_schema"][0].uri)


def test_a_split_without_examples_stops_the_run(tmp_path, make_data_gate_artifacts):
    """Two images in class folders all hash to train: the eval split's statistics (as TFDV
    writes them for no example) stop the run, instead of training on an eval loss of 0."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    inputs, outputs = make_data_gate_artifacts(tmp_path, anomalies_pb2.Anomalies(),
                                               largest_image=10)
    empty = statistics_pb2.DatasetFeatureStatisticsList()
    empty.datasets.add()
    io_utils.write_bytes_file(os.path.join(inputs["statistics"][0].uri, "Split-eval",
                                           anomalies_lib.STATS_FILE), empty.SerializeToString())
    with pytest.raises(anomalies_lib.DataAnomaliesError) as raised:
        executor.Executor().Do(inputs, outputs, {})
    assert [a.line() for a in raised.value.anomalies] == [
        "[eval] (dataset): No examples: the split holds no example: too few rows (or split_key "
        "values) for the hash split, or its input_splits pattern matched no rows"]


def test_a_split_with_one_class_only_is_an_anomaly():
    import schemas
    from tensorflow_metadata.proto.v0 import statistics_pb2

    schema = schemas.load_schema(schemas.dataset_schema_path("digit_classes"))
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    label = stats.datasets.add().features.add()
    label.path.step.append("digit")
    label.string_stats.unique = 2
    assert anomalies_lib.single_class_anomalies("train", schema, stats) == []
    label.string_stats.unique = 1
    [anomaly] = anomalies_lib.single_class_anomalies("train", schema, stats)
    assert anomaly.line() == ("[train] digit: One class only: every example has the same class; "
                              "the label's domain lists 10 (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)")
    regression = schemas.load_schema(schemas.dataset_schema_path("digits"))
    assert anomalies_lib.single_class_anomalies("train", regression, stats) == []


def pen_statistics(counts):
    """Train statistics whose categorical `pen` has the given value counts."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    stats = statistics_pb2.DatasetFeatureStatisticsList()
    dataset = stats.datasets.add(num_examples=sum(counts.values()))
    feature = dataset.features.add(type=statistics_pb2.FeatureNameStatistics.STRING)
    feature.path.step.append("pen")
    feature.string_stats.common_stats.num_non_missing = sum(counts.values())
    feature.string_stats.unique = len(counts)
    for value, count in counts.items():
        feature.string_stats.rank_histogram.buckets.add(label=value, sample_count=count)
        feature.string_stats.top_values.add(value=value, frequency=count)
    return stats


def test_drift_scores_measure_every_compared_feature(make_digits_schema):
    schema = make_digits_schema()
    [score] = anomalies_lib.drift_scores(schema, pen_statistics({"a": 60, "b": 20, "c": 20}),
                                         pen_statistics({"a": 30, "b": 40, "c": 30}))
    assert (score.feature, score.kind, score.threshold) == ("pen", "L_INFTY", 0.3)
    assert score.value == pytest.approx(0.3)  # a: 0.6 now vs 0.3 before
    assert anomalies_lib.drift_anomalies(schema, pen_statistics({"a": 60, "b": 20, "c": 20}),
                                         pen_statistics({"a": 30, "b": 40, "c": 30}),
                                         "train") == []  # at the threshold: not over it


def test_an_open_label_domain_accepts_new_classes_but_nothing_else():
    """TFDV itself flags every value of an empty string_domain; the gate lets those through for
    the label whose domain is open, and keeps every other anomaly."""
    import pandas as pd
    import tensorflow_data_validation as tfdv
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2, statistics_pb2

    schema = text_format.Parse(
        'feature { name: "x" type: BYTES string_domain { value: "a" } }\n'
        'feature { name: "y" type: BYTES string_domain {} presence { min_fraction: 1 } '
        'annotation { tag: "label" } }',
        schema_pb2.Schema())
    stats = tfdv.generate_statistics_from_dataframe(
        pd.DataFrame({"x": ["a", "b"], "y": ["cat", "dog"]}))
    found = tfdv.validate_statistics(stats, schema)
    assert set(found.anomaly_info) == {"x", "y"}  # what TFDV reports
    import schemas

    assert anomalies_lib.open_label_name(schemas.feature_set_from_schema(schema)) == "y"
    [kept] = anomalies_lib.anomalies_from_proto("train", found, open_label="y")
    assert (kept.feature, kept.kind) == ("x", "Unexpected string values")
    label = statistics_pb2.DatasetFeatureStatisticsList()
    feature = label.datasets.add().features.add()
    feature.path.step.append("y")
    feature.string_stats.unique = 1
    [anomaly] = anomalies_lib.single_class_anomalies("eval", schema, label)
    assert anomaly.line() == ("[eval] y: One class only: every example has the same class; the "
                              "label's domain is open (classes from the data)")


def test_new_string_values_are_cut_to_ten_and_say_what_to_do():
    """TFX's taxi CSV drafted from 500 rows, then run on all: about 40 companies past the sample
    filled one line. The line names ten, counts the rest and says how to accept them."""
    proto = anomalies_pb2.Anomalies()
    reason = proto.anomaly_info["company"].reason.add(
        type=anomalies_pb2.AnomalyInfo.Type.Value(anomalies_lib.NEW_STRING_VALUES),
        short_description="Unexpected string values",
        description="Examples contain values missing from the schema: " + ", ".join(
            f"Cab, No. {i} (<1%)" for i in range(12)) + ".")
    [anomaly] = anomalies_lib.anomalies_from_proto("train", proto)
    assert anomaly.line() == (
        "[train] company: Unexpected string values: Examples contain values missing from the "
        "schema: " + ", ".join(f"Cab, No. {i} (<1%)" for i in range(10)) + " and 2 more; if "
        "they are valid, add them to 'company''s domain in the schema, or draft it again "
        "(`init`) from data that holds them; or, to accept a few unseen values each span, add "
        "distribution_constraints { min_domain_mass: 0.95 } to the feature")
    reason.description = "Examples contain values missing from the schema: d (<1%). "
    [anomaly] = anomalies_lib.anomalies_from_proto("train", proto)
    assert anomaly.detail == (
        "Examples contain values missing from the schema: d (<1%); if they are valid, add them "
        "to 'company''s domain in the schema, or draft it again (`init`) from data that holds "
        "them; or, to accept a few unseen values each span, add distribution_constraints { "
        "min_domain_mass: 0.95 } to the feature")


def test_new_label_values_are_said_to_be_classes_to_add():
    """A class folder new in span 1 stopped the run with advice to let a few unseen values
    through (`min_domain_mass`) at 43% of the eval labels: a label value outside the classes
    always stops the run; the advice is to add the class or open the domain."""
    proto = anomalies_pb2.Anomalies()
    proto.anomaly_info["label"].reason.add(
        type=anomalies_pb2.AnomalyInfo.Type.Value(anomalies_lib.NEW_STRING_VALUES),
        short_description="Unexpected string values",
        description="Examples contain values missing from the schema: d3 (~43%). ")
    [anomaly] = anomalies_lib.anomalies_from_proto("eval", proto, label="label")
    assert anomaly.line() == (
        "[eval] label: Unexpected string values: Examples contain values missing from the "
        "schema: d3 (~43%); if they are new classes, add them to 'label''s domain in the "
        "schema (a warm start then trains from scratch), draft it again (`init`) from data that "
        "holds them, or leave the domain open (classes from the data)")


@pytest.mark.parametrize("unseen, min_domain_mass, flagged", [
    (3, None, ["company"]), (5, 0.95, []), (6, 0.95, ["company"])])
def test_min_domain_mass_accepts_a_few_unseen_values(unseen, min_domain_mass, flagged):
    """What the hint for new string values promises, as TFDV validates: with
    `distribution_constraints { min_domain_mass: 0.95 }`, up to 5% of values outside the
    domain is no anomaly; more is."""
    import pandas as pd
    import tensorflow_data_validation as tfdv
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = text_format.Parse('feature { name: "company" type: BYTES domain: "company" } '
                               'string_domain { name: "company" value: "a" value: "b" }',
                               schema_pb2.Schema())
    if min_domain_mass is not None:
        schema.feature[0].distribution_constraints.min_domain_mass = min_domain_mass
    rows = pd.DataFrame({"company": ["a", "b"] * ((100 - unseen) // 2) + ["a"] * (unseen % 2)
                         + [f"Cab {i}" for i in range(unseen)]})
    statistics = tfdv.generate_statistics_from_dataframe(rows)
    assert sorted(tfdv.validate_statistics(statistics, schema).anomaly_info) == flagged


def test_fewer_values_than_the_presence_allows_says_what_to_do():
    """A wine CSV whose optional feature_12 had a few more gaps in a second file: TFDV's "Column
    dropped" line said nothing of the schema's presence setting behind it."""
    proto = anomalies_pb2.Anomalies()
    proto.anomaly_info["feature_12"].reason.add(
        type=anomalies_pb2.AnomalyInfo.Type.Value("FEATURE_TYPE_LOW_FRACTION_PRESENT"),
        short_description="Column dropped",
        description="The feature was present in fewer examples than expected: minimum "
                    "fraction = 0.880000, actual = 0.860465")
    [anomaly] = anomalies_lib.anomalies_from_proto("eval", proto)
    assert anomaly.line() == (
        "[eval] feature_12: Column dropped: The feature was present in fewer examples than "
        "expected: minimum fraction = 0.880000, actual = 0.860465; if these gaps are valid, "
        "lower 'feature_12''s presence min_fraction in the schema (a missing value is then "
        "imputed)")


def test_one_anomaly_is_counted_in_the_singular():
    """The wine run stopped on one presence anomaly said `found 1 anomalies`."""
    error = anomalies_lib.DataAnomaliesError(
        [anomalies_lib.Anomaly("eval", "feature_12", "Column dropped", "...")], "report/27")
    assert str(error) == ("data validation found 1 anomaly; Transform and Trainer did not run "
                          "(full report: report/27):\n  [eval] feature_12: Column dropped: ...")


def test_a_value_outside_the_domain_bounds_says_what_to_do():
    """scikit-learn's diabetes `sex` (1 or 2, an int_domain 1..2 in init's draft) holding a 3 in
    a new span: TFDV's `Unexpectedly large value: 3` said nothing of the bounds behind it."""
    proto = anomalies_pb2.Anomalies()
    proto.anomaly_info["sex"].reason.add(
        type=anomalies_pb2.AnomalyInfo.Type.Value("INT_TYPE_BIG_INT"),
        short_description="Out-of-range values", description="Unexpectedly large value: 3.")
    [anomaly] = anomalies_lib.anomalies_from_proto("train", proto)
    assert anomaly.line() == (
        "[train] sex: Out-of-range values: Unexpectedly large value: 3; if such values are "
        "valid, widen 'sex''s int_domain (min, max) in the schema, or draft it again (`init`) "
        "from data that holds them")
