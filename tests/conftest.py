"""Shared fixtures and helpers: the digits feature set, small demo datasets written on the fly,
DataGate inputs (schema, anomalies, statistics) built in a temporary folder, and raw serialized
examples as a serving client sends them."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def digits_features():
    import schemas

    return schemas.load_feature_set(schemas.dataset_schema_path("digits"))


@pytest.fixture(scope="session")
def tiny_demo_data(tmp_path_factory, digits_features):
    """A 60-row demo dataset (CSV + images), generated once per session."""
    from pipeline.datasets import demo_data

    root = tmp_path_factory.mktemp("demo")
    demo_data.generate(str(root), digits_features, rows=60)
    return root


def _image_byte_statistics(largest: int):
    """TFDV statistics whose `image` feature's largest value has `largest` bytes."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    stats = statistics_pb2.DatasetFeatureStatisticsList()
    feature = stats.datasets.add().features.add()
    feature.path.step.append("image")
    feature.bytes_stats.max_num_bytes_int = largest
    return stats


def _digits_schema(max_bytes: int = 1000):
    """The digits schema with `image_domain.max_image_byte_size` set to `max_bytes`."""
    import schemas

    schema = schemas.load_schema(schemas.dataset_schema_path("digits"))
    for feature in schema.feature:
        if feature.name == "image":
            feature.image_domain.max_image_byte_size = max_bytes
    return schema


def _data_gate_artifacts(tmp_path, anomalies, largest_image):
    """The DataGate executor's (inputs, outputs): the digits schema, an anomalies report holding
    `anomalies` and statistics whose largest image has `largest_image` bytes, under tmp_path."""
    from tfx.types import standard_artifacts
    from tfx.utils import io_utils

    from components.data_gate import executor

    schema = standard_artifacts.Schema()
    schema.uri = str(tmp_path / "schema")
    io_utils.write_pbtxt_file(os.path.join(schema.uri, executor.SCHEMA_FILE), _digits_schema())
    report = standard_artifacts.ExampleAnomalies()
    report.uri = str(tmp_path / "anomalies")
    io_utils.write_bytes_file(os.path.join(report.uri, "Split-train", "SchemaDiff.pb"),
                              anomalies.SerializeToString())
    statistics = standard_artifacts.ExampleStatistics()
    statistics.uri = str(tmp_path / "stats")
    io_utils.write_bytes_file(os.path.join(statistics.uri, "Split-train", "FeatureStats.pb"),
                              _image_byte_statistics(largest_image).SerializeToString())
    validated = standard_artifacts.Schema()
    validated.uri = str(tmp_path / "validated")
    inputs = {"schema": [schema], "anomalies": [report], "statistics": [statistics]}
    return inputs, {"validated_schema": [validated]}


@pytest.fixture
def image_byte_statistics():
    return _image_byte_statistics


@pytest.fixture
def make_digits_schema():
    return _digits_schema


@pytest.fixture
def make_data_gate_artifacts():
    return _data_gate_artifacts


def _raw_examples(data_root, features, with_label, count=12):
    """The first `count` demo CSV rows as serialized raw tf.Examples (a tensor) and their labels."""
    import numpy as np
    import tensorflow as tf

    from components.ingest import csv_files, rows
    from pipeline.datasets import demo_data

    settings = rows.IngestSettings(features=features, max_image_pixels=10**6,
                                   max_quarantine_fraction=0.0)
    serialized, labels = [], []
    csv_rows = csv_files.iter_csv_rows(os.path.join(data_root, demo_data.CSV_NAME))
    for _, row in list(csv_rows)[:count]:
        example = rows.row_to_example(row, settings, data_root)
        labels.append(float(row[features.label.name]))
        if not with_label:
            del example.features.feature[features.label.name]
        serialized.append(example.SerializeToString())
    return tf.constant(serialized), np.array(labels)


@pytest.fixture
def make_raw_examples():
    return _raw_examples
