"""The ingestion component: `FileBasedExampleGen` with the CSV + images executor.

Inherits input/output split configs, `{SPAN}`/`{VERSION}` patterns and range configs from TFX;
its driver reports a span pattern that matches no file as a data error.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec
from tfx.proto import example_gen_pb2, range_config_pb2

from components.ingest import driver, executor, rows


def example_gen_configs(input_pattern: str, input_splits: Optional[Dict[str, str]],
                        train_buckets: int, eval_buckets: int, split_key: Optional[str] = None
                        ) -> Tuple[example_gen_pb2.Input, example_gen_pb2.Output]:
    """Input/output split configs: pre-split inputs as given, else a hash split of one input
    (on `split_key` when set, so rows sharing a key land in the same split)."""
    if input_splits:
        return (example_gen_pb2.Input(splits=[
            example_gen_pb2.Input.Split(name=name, pattern=pattern)
            for name, pattern in sorted(input_splits.items())]), example_gen_pb2.Output())
    split_config = example_gen_pb2.SplitConfig(splits=[
        example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=train_buckets),
        example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=eval_buckets)])
    if split_key:
        split_config.partition_feature_name = split_key
    return (example_gen_pb2.Input(splits=[
        example_gen_pb2.Input.Split(name="single_split", pattern=input_pattern)]),
            example_gen_pb2.Output(split_config=split_config))


class CsvImageExampleGen(FileBasedExampleGen):
    """Reads CSV files whose image columns hold paths under `input_base` into tf.Examples."""

    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    DRIVER_CLASS = driver.SpanResolvingDriver

    def __init__(self, input_base: str, settings: rows.IngestSettings,
                 input_config: Optional[example_gen_pb2.Input] = None,
                 output_config: Optional[example_gen_pb2.Output] = None,
                 range_config: Optional[range_config_pb2.RangeConfig] = None):
        super().__init__(input_base=input_base, input_config=input_config,
                         output_config=output_config,
                         custom_config=executor.settings_to_custom_config(settings),
                         range_config=range_config)
