"""Runs the pipeline on TFX's LocalDagRunner, with ML Metadata in SQLite and caching on."""

from __future__ import annotations

import os
import sys

from pipeline.config import PipelineConfig


def build_pipeline(config: PipelineConfig, metadata_connection_config=None):
    """The local pipeline of a config: its assembled arguments, DirectRunner settings sized to
    its data, and the metadata store."""
    from pipeline.assembly import local_beam_pipeline_args, pipeline_arguments
    from pipeline.dag import create_pipeline

    return create_pipeline(**pipeline_arguments(config),
                           beam_pipeline_args=local_beam_pipeline_args(config),
                           metadata_connection_config=metadata_connection_config)


def run_local(config: PipelineConfig) -> None:
    """Runs the whole pipeline once; raises when a component fails."""
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner
    from tfx.orchestration.metadata import sqlite_metadata_connection_config

    os.makedirs(config.output_dir, exist_ok=True)
    metadata = sqlite_metadata_connection_config(config.metadata_path)
    # TFX's Beam executors parse sys.argv as absl flags: this process's own command line (e.g.
    # `run -v`, absl's short --verbosity) must not reach them.
    argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        LocalDagRunner().run(build_pipeline(config, metadata))
    finally:
        sys.argv = argv
