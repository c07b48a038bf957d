"""The ingestion component: `FileBasedExampleGen` with the CSV + images executor.

Inherits input/output split configs, `{SPAN}`/`{VERSION}` patterns and range configs from TFX.
"""

from __future__ import annotations

from typing import Optional

from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.proto import example_gen_pb2, range_config_pb2

from components.ingest import executor, rows


class CsvImageExampleGen(FileBasedExampleGen):
    """Reads CSV files whose image columns hold paths under `input_base` into tf.Examples."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(self, input_base: str, settings: rows.IngestSettings,
                 input_config: Optional[example_gen_pb2.Input] = None,
                 output_config: Optional[example_gen_pb2.Output] = None,
                 range_config: Optional[range_config_pb2.RangeConfig] = None):
        super().__init__(input_base=input_base, input_config=input_config,
                         output_config=output_config,
                         custom_config=executor.settings_to_custom_config(settings),
                         range_config=range_config)
