"""The data gate: one line per anomaly, image byte limits, and the schema passed on when clean."""

import os

import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2
from tfx.types import standard_artifacts
from tfx.utils import io_utils

import schemas
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


def stats_with_image_bytes(largest):
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    feature = stats.datasets.add().features.add()
    feature.path.step.append("image")
    feature.bytes_stats.max_num_bytes_int = largest
    return stats


def digits_schema(max_bytes=1000):
    schema = schemas.load_schema(schemas.dataset_schema_path("digits"))
    for feature in schema.feature:
        if feature.name == "image":
            feature.image_domain.max_image_byte_size = max_bytes
    return schema


def test_one_line_per_anomaly():
    lines = [a.line() for a in anomalies_lib.anomalies_from_proto("train", anomalies_proto())]
    assert lines == [
        "[train] pen: Unexpected string values: Examples contain values missing from the "
        "schema: d (<1%).",
        "[train] z: Out-of-range values: Unexpectedly high value: 55>10"]


def test_image_byte_limit():
    assert anomalies_lib.image_domain_anomalies("eval", digits_schema(), stats_with_image_bytes(
        1000)) == []
    [anomaly] = anomalies_lib.image_domain_anomalies("eval", digits_schema(),
                                                     stats_with_image_bytes(1001))
    assert anomaly.line() == ("[eval] image: Image over the byte limit: largest image has 1001 "
                              "bytes > max_image_byte_size 1000")


def make_artifacts(tmp_path, anomalies, largest_image):
    schema = standard_artifacts.Schema()
    schema.uri = str(tmp_path / "schema")
    io_utils.write_pbtxt_file(os.path.join(schema.uri, executor.SCHEMA_FILE), digits_schema())
    report = standard_artifacts.ExampleAnomalies()
    report.uri = str(tmp_path / "anomalies")
    io_utils.write_bytes_file(os.path.join(report.uri, "Split-train", "SchemaDiff.pb"),
                              anomalies.SerializeToString())
    statistics = standard_artifacts.ExampleStatistics()
    statistics.uri = str(tmp_path / "stats")
    io_utils.write_bytes_file(os.path.join(statistics.uri, "Split-train", "FeatureStats.pb"),
                              stats_with_image_bytes(largest_image).SerializeToString())
    validated = standard_artifacts.Schema()
    validated.uri = str(tmp_path / "validated")
    inputs = {"schema": [schema], "anomalies": [report], "statistics": [statistics]}
    return inputs, {"validated_schema": [validated]}


def test_clean_data_passes_the_schema_on(tmp_path):
    inputs, outputs = make_artifacts(tmp_path, anomalies_pb2.Anomalies(), largest_image=10)
    executor.Executor().Do(inputs, outputs, {})
    copied = io_utils.SchemaReader().read(
        os.path.join(outputs["validated_schema"][0].uri, executor.SCHEMA_FILE))
    assert copied == digits_schema()


def test_anomalies_stop_the_run_with_every_line(tmp_path):
    inputs, outputs = make_artifacts(tmp_path, anomalies_proto(), largest_image=5000)
    with pytest.raises(anomalies_lib.DataAnomaliesError) as raised:
        executor.Executor().Do(inputs, outputs, {})
    message = str(raised.value)
    assert message.startswith("data validation found 3 anomalies; Transform and Trainer did not "
                              f"run (full report: {tmp_path / 'anomalies'}):")
    assert len(message.splitlines()) == 4
    assert "[train] image: Image over the byte limit" in message
    assert not os.path.exists(outputs["validated_schema"][0].uri)
