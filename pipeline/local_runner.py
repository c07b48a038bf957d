"""Runs the pipeline on TFX's LocalDagRunner, with ML Metadata in SQLite and caching on."""

from __future__ import annotations

import os

from pipeline.config import PipelineConfig


def build_pipeline(config: PipelineConfig, metadata_connection_config=None):
    """`create_pipeline` with the paths and settings of a config."""
    from pipeline.pipeline import create_pipeline

    return create_pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        data_root=os.path.abspath(config.data_root),
        layout=config.layout,
        input_pattern=config.input_pattern,
        input_splits=config.input_splits,
        split_key=config.split_key,
        schema_path=config.resolved_schema_path,
        features=config.features(),
        serving_dir=config.serving_dir,
        train_buckets=config.train_buckets,
        eval_buckets=config.eval_buckets,
        max_quarantine_fraction=config.max_quarantine_fraction,
        max_image_pixels=config.max_image_pixels,
        image_size=(config.image_height, config.image_width),
        image_channels=config.image_channels,
        train_steps=config.train_steps,
        eval_steps=config.eval_steps,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        seed=config.seed,
        max_eval_rmse=config.max_eval_rmse,
        beam_pipeline_args=config.beam_pipeline_args(),
        metadata_connection_config=metadata_connection_config,
    )


def run_local(config: PipelineConfig) -> None:
    """Runs the whole pipeline once; raises when a component fails."""
    from tfx import v1 as tfx

    os.makedirs(config.output_dir, exist_ok=True)
    metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(config.metadata_path)
    tfx.orchestration.LocalDagRunner().run(build_pipeline(config, metadata))
