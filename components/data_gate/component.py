"""The data gate component: ExampleValidator's report in, the schema out only if it is clean.

Transform and Trainer read the *validated* schema, so a data dependency (not an ordering hint)
keeps them from running on data that broke the contract; the run fails with one line per anomaly.
Its `code_fingerprint` property (`pipeline/fingerprint.py`) puts the gate's code in TFX's cache
key: on the same statistics, an edited or upgraded gate checks again.
"""

from __future__ import annotations

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from components.data_gate import executor


class DataGateSpec(ComponentSpec):
    """Inputs: the curated schema, ExampleValidator's anomalies, the statistics and (optional)
    the previous span's statistics; output: the schema again. Parameter: the fingerprint of
    the gate's code."""

    PARAMETERS = {"code_fingerprint": ExecutionParameter(type=str)}
    INPUTS = {
        "schema": ChannelParameter(type=standard_artifacts.Schema),
        "anomalies": ChannelParameter(type=standard_artifacts.ExampleAnomalies),
        "statistics": ChannelParameter(type=standard_artifacts.ExampleStatistics),
        executor.PREVIOUS_STATISTICS_KEY: ChannelParameter(
            type=standard_artifacts.ExampleStatistics, optional=True),
    }
    OUTPUTS = {"validated_schema": ChannelParameter(type=standard_artifacts.Schema)}


class DataGate(base_component.BaseComponent):
    """Fails the run on any data anomaly; otherwise outputs `validated_schema`."""

    SPEC_CLASS = DataGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, schema: types.BaseChannel, anomalies: types.BaseChannel,
                 statistics: types.BaseChannel, code_fingerprint: str,
                 previous_statistics: Optional[types.BaseChannel] = None):
        super().__init__(spec=DataGateSpec(
            schema=schema, anomalies=anomalies, statistics=statistics,
            code_fingerprint=code_fingerprint,
            previous_statistics=previous_statistics,
            validated_schema=types.Channel(type=standard_artifacts.Schema)))
