"""Executor of the data gate: passes the schema on only when the data has no anomalies."""

from __future__ import annotations

import os

from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils

import schemas
from components.data_gate import anomalies as anomalies_lib

SCHEMA_FILE = "schema.pbtxt"
PREVIOUS_STATISTICS_KEY = "previous_statistics"  # optional input: the previous span's statistics


class Executor(base_executor.BaseExecutor):
    """Raises DataAnomaliesError on any anomaly (ExampleValidator's, a split without examples,
    image byte limits, a class label with one class only in a split, drift from the previous
    span); otherwise publishes the validated schema."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        report = artifact_utils.get_single_instance(input_dict["anomalies"])
        schema = artifact_utils.get_single_instance(input_dict["schema"])
        statistics = artifact_utils.get_single_instance(input_dict["statistics"])
        schema_proto = io_utils.SchemaReader().read(os.path.join(schema.uri, SCHEMA_FILE))
        features = schemas.feature_set_from_schema(schema_proto)
        found = (anomalies_lib.read_anomalies(report.uri,
                                              anomalies_lib.open_label_name(features),
                                              features.label.name)
                 + anomalies_lib.read_statistics_anomalies(statistics.uri, schema_proto))
        if input_dict.get(PREVIOUS_STATISTICS_KEY):
            previous = artifact_utils.get_single_instance(input_dict[PREVIOUS_STATISTICS_KEY])
            found += anomalies_lib.read_drift_anomalies(statistics.uri, previous.uri,
                                                        schema_proto)
        if found:
            raise anomalies_lib.DataAnomaliesError(found, report.uri)
        validated = artifact_utils.get_single_instance(output_dict["validated_schema"])
        io_utils.copy_file(os.path.join(schema.uri, SCHEMA_FILE),
                           os.path.join(validated.uri, SCHEMA_FILE))
