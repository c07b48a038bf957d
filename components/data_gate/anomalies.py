"""Reading ExampleValidator reports as one line per anomaly, and the gate's decision."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import List, Optional

from components.errors import DataError

SCHEMA_DIFF_FILE = "SchemaDiff.pb"
STATS_FILE = "FeatureStats.pb"


@dataclasses.dataclass(frozen=True)
class Anomaly:
    """One anomaly of one split: feature, kind and detail, printable in one line."""

    split: str
    feature: str
    kind: str
    detail: str

    def line(self) -> str:
        return f"[{self.split}] {self.feature}: {self.kind}: {self.detail}"


class DataAnomaliesError(DataError):
    """The data broke the schema contract; carries each anomaly and the report's path."""

    def __init__(self, anomalies: List[Anomaly], report_uri: str):
        self.anomalies = anomalies
        self.report_uri = report_uri
        lines = "\n".join(f"  {anomaly.line()}" for anomaly in anomalies)
        count = f"{len(anomalies)} {'anomaly' if len(anomalies) == 1 else 'anomalies'}"
        super().__init__(f"data validation found {count}; Transform and Trainer did not run "
                         f"(full report: {report_uri}):\n{lines}")


# TFDV's anomaly for string values outside a string domain: an open label domain (an empty
# string_domain, classes from the data) has no values, so every label value would be one.
NEW_STRING_VALUES = "ENUM_TYPE_UNEXPECTED_STRING_VALUES"
VALUES_SHOWN = 10  # new string values named in the line; the report has them all


def new_values_detail(feature: str, description: str, is_label: bool = False) -> str:
    """TFDV's list of string values outside a feature's domain ("...: a (~2%), b (<1%)."), cut
    to its first VALUES_SHOWN values, and what to do about them (for the label: classes to add,
    never values to let through)."""
    description = description.strip()  # TFDV ends some descriptions with ". "
    head, colon, listed = description.partition(": ")
    values = re.split(r"(?<=%\)), ", listed.rstrip("."))
    if colon and len(values) > VALUES_SHOWN:
        description = (f"{head}: {', '.join(values[:VALUES_SHOWN])} and "
                       f"{len(values) - VALUES_SHOWN} more")
    if is_label:
        return (f"{description.rstrip('.')}; if they are new classes, add them to {feature!r}'s "
                "domain in the schema (a warm start then trains from scratch), draft it again "
                "(`init`) from data that holds them, or leave the domain open (classes from the "
                "data)")
    return (f"{description.rstrip('.')}; if they are valid, add them to {feature!r}'s domain "
            "in the schema, or draft it again (`init`) from data that holds them; or, to accept "
            "a few unseen values each span, add distribution_constraints { min_domain_mass: "
            "0.95 } to the feature")


# TFDV's anomaly for a feature present in fewer examples than `presence.min_fraction` allows
LOW_PRESENCE = "FEATURE_TYPE_LOW_FRACTION_PRESENT"


def low_presence_detail(feature: str, description: str) -> str:
    """TFDV's "present in fewer examples than expected" (titled "Column dropped", also when the
    column is there with more empty cells), and what to do when the gaps are valid."""
    return (f"{description.rstrip('.')}; if these gaps are valid, lower {feature!r}'s "
            "presence min_fraction in the schema (a missing value is then imputed)")


# TFDV's anomalies for values outside a feature's int_domain / float_domain bounds
OUT_OF_RANGE = {"INT_TYPE_BIG_INT": "int_domain", "INT_TYPE_SMALL_INT": "int_domain",
                "FLOAT_TYPE_BIG_FLOAT": "float_domain", "FLOAT_TYPE_SMALL_FLOAT": "float_domain"}


def out_of_range_detail(feature: str, description: str, domain: str) -> str:
    """TFDV's "Unexpectedly large value: 3", and what to do when such values are valid."""
    return (f"{description.rstrip('.')}; if such values are valid, widen {feature!r}'s {domain} "
            "(min, max) in the schema, or draft it again (`init`) from data that holds them")


def anomalies_from_proto(split: str, anomalies, open_label: Optional[str] = None,
                         label: Optional[str] = None) -> List[Anomaly]:
    """The anomalies of a `tensorflow_metadata` Anomalies proto, one per (feature, reason),
    except new string values of `open_label`, the label whose domain is open (`label`: the
    label's name, whose new values are classes)."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    accepted = anomalies_pb2.AnomalyInfo.Type.Value(NEW_STRING_VALUES)
    low_presence = anomalies_pb2.AnomalyInfo.Type.Value(LOW_PRESENCE)
    out_of_range = {anomalies_pb2.AnomalyInfo.Type.Value(name): domain
                    for name, domain in OUT_OF_RANGE.items()}
    found = []
    for feature, info in sorted(anomalies.anomaly_info.items()):
        reasons = [reason for reason in info.reason
                   if not (feature == open_label and reason.type == accepted)]
        if not info.reason:
            found.append(Anomaly(split, feature, info.short_description, info.description))
        for reason in reasons:
            if reason.type == accepted:
                detail = new_values_detail(feature, reason.description, feature == label)
            elif reason.type == low_presence:
                detail = low_presence_detail(feature, reason.description)
            elif reason.type in out_of_range:
                detail = out_of_range_detail(feature, reason.description,
                                             out_of_range[reason.type])
            else:
                detail = reason.description
            found.append(Anomaly(split, feature, reason.short_description, detail))
    if anomalies.HasField("dataset_anomaly_info"):
        info = anomalies.dataset_anomaly_info
        found.append(Anomaly(split, "(dataset)", info.short_description, info.description))
    return found


def image_domain_anomalies(split: str, schema, statistics) -> List[Anomaly]:
    """Image features whose largest value exceeds `image_domain.max_image_byte_size`.

    TFDV computes byte sizes of BYTES features but does not check image domains itself.
    """
    limits = {f.name: f.image_domain.max_image_byte_size for f in schema.feature
              if f.HasField("image_domain") and f.image_domain.max_image_byte_size}
    found = []
    for feature in statistics.datasets[0].features if statistics.datasets else []:
        name = ".".join(feature.path.step)
        largest = feature.bytes_stats.max_num_bytes_int
        if name in limits and largest > limits[name]:
            found.append(Anomaly(split, name, "Image over the byte limit",
                                 f"largest image has {largest} bytes > max_image_byte_size "
                                 f"{limits[name]}"))
    return found


def single_class_anomalies(split: str, schema, statistics) -> List[Anomaly]:
    """A class label whose values in this split are all one class: nothing to tell apart."""
    import schemas

    label = schemas.feature_set_from_schema(schema).label
    if label.classes is None:
        return []
    for feature in statistics.datasets[0].features if statistics.datasets else []:
        if ".".join(feature.path.step) != label.name:
            continue
        if feature.HasField("string_stats"):
            distinct = feature.string_stats.unique
        else:  # a 0/1 label with numeric statistics
            distinct = 1 if feature.num_stats.min == feature.num_stats.max else 2
        if distinct < 2:
            domain = ("the label's domain is open (classes from the data)" if label.open_classes
                      else f"the label's domain lists {len(label.classes)} "
                           f"({', '.join(label.classes)})")
            return [Anomaly(split, label.name, "One class only",
                            f"every example has the same class; {domain}")]
    return []


def empty_split_anomalies(split: str, statistics) -> List[Anomaly]:
    """A split without examples: nothing to train on, or to evaluate with."""
    if any(dataset.num_examples for dataset in statistics.datasets):
        return []
    return [Anomaly(split, "(dataset)", "No examples",
                    "the split holds no example: too few rows (or split_key values) for the "
                    "hash split, or its input_splits pattern matched no rows")]


def read_statistics_anomalies(statistics_uri: str, schema) -> List[Anomaly]:
    """`empty_split_anomalies`, `image_domain_anomalies` and `single_class_anomalies` for every
    split of an ExampleStatistics artifact."""
    from tensorflow_data_validation import load_stats_binary
    import tensorflow as tf

    found = []
    for path in sorted(tf.io.gfile.glob(os.path.join(statistics_uri, "Split-*", STATS_FILE))):
        split = os.path.basename(os.path.dirname(path)).removeprefix("Split-")
        statistics = load_stats_binary(path)
        found.extend(empty_split_anomalies(split, statistics))
        found.extend(image_domain_anomalies(split, schema, statistics))
        found.extend(single_class_anomalies(split, schema, statistics))
    return found


DRIFT_REASONS = ("COMPARATOR_L_INFTY_HIGH", "COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH",
                 "COMPARATOR_NORMALIZED_ABSOLUTE_DIFFERENCE_HIGH")


def drift_anomalies(schema, statistics, previous_statistics, split: str) -> List[Anomaly]:
    """Drift against the previous span, by the schema's `drift_comparator` thresholds
    (L-infinity for categorical, Jensen-Shannon divergence for numeric features)."""
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    drift_types = {anomalies_pb2.AnomalyInfo.Type.Value(name) for name in DRIFT_REASONS}
    result = tfdv.validate_statistics(statistics, schema, previous_statistics=previous_statistics)
    found = []
    for feature, info in sorted(result.anomaly_info.items()):
        for reason in info.reason:
            if reason.type in drift_types:
                found.append(Anomaly(f"{split} vs. previous span", feature,
                                     reason.short_description, reason.description))
    return found


@dataclasses.dataclass(frozen=True)
class DriftScore:
    """One drift measurement against the previous span: feature, comparator, value, threshold."""

    feature: str
    kind: str
    value: float
    threshold: float


def drift_scores(schema, statistics, previous_statistics) -> List[DriftScore]:
    """The measurements behind `drift_anomalies`: every feature with a `drift_comparator`, over
    its threshold or not (for the run report)."""
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    result = tfdv.validate_statistics(statistics, schema, previous_statistics=previous_statistics)
    kinds = anomalies_pb2.DriftSkewInfo.Measurement.Type
    return [DriftScore(".".join(info.path.step), kinds.Name(m.type), m.value, m.threshold)
            for info in result.drift_skew_info for m in info.drift_measurements]


def _split_statistics(uris, split: str):
    from tensorflow_data_validation import load_stats_binary

    return [load_stats_binary(os.path.join(uri, f"Split-{split}", STATS_FILE)) for uri in uris]


def read_drift_anomalies(statistics_uri: str, previous_uri: str, schema,
                         split: str = "train") -> List[Anomaly]:
    """`drift_anomalies` between one split of two ExampleStatistics artifacts."""
    current, previous = _split_statistics((statistics_uri, previous_uri), split)
    return drift_anomalies(schema, current, previous, split)


def read_drift_scores(statistics_uri: str, previous_uri: str, schema,
                      split: str = "train") -> List[DriftScore]:
    """`drift_scores` between one split of two ExampleStatistics artifacts."""
    current, previous = _split_statistics((statistics_uri, previous_uri), split)
    return drift_scores(schema, current, previous)


def read_anomalies(anomalies_uri: str, open_label: Optional[str] = None,
                   label: Optional[str] = None) -> List[Anomaly]:
    """Every anomaly in an ExampleAnomalies artifact (all splits; see `anomalies_from_proto`
    for `open_label` and `label`)."""
    import tensorflow as tf
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    found = []
    pattern = os.path.join(anomalies_uri, "Split-*", SCHEMA_DIFF_FILE)
    for path in sorted(tf.io.gfile.glob(pattern)):
        split = os.path.basename(os.path.dirname(path)).removeprefix("Split-")
        with tf.io.gfile.GFile(path, "rb") as handle:
            found.extend(anomalies_from_proto(split, anomalies_pb2.Anomalies.FromString(
                handle.read()), open_label, label))
    return found


def open_label_name(features) -> Optional[str]:
    """The label's name when its domain is open (classes from the data), else None
    (`features`: a `schemas.FeatureSet`)."""
    return features.label.name if features.label.open_classes else None
