"""Runs the pipeline on TFX's LocalDagRunner, with ML Metadata in SQLite and caching on."""

from __future__ import annotations

import logging
import os

from pipeline.config import PipelineConfig


def trainer_settings(config: PipelineConfig, features):
    """The Trainer's settings from a config."""
    from components.trainer.run import TrainerSettings

    return TrainerSettings(
        features=features, batch_size=config.batch_size, learning_rate=config.learning_rate,
        eval_every=max(1, config.train_steps // 10), seed=config.seed,
        clip_norm=config.clip_norm, early_stopping_patience=config.early_stopping_patience,
        checkpoint_every=config.checkpoint_every, distribution=config.distribution,
        model_builder=config.model_builder)


def input_megabytes(data_root: str) -> float:
    """Size in MB of the files under a local data root: what the data components read at most
    (older spans count too)."""
    total = 0
    for folder, _, names in os.walk(data_root):
        for name in names:
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except OSError:  # vanished or a dangling link: ingestion reports it
                pass
    return total / 2**20


def describe_direct_runner(config: PipelineConfig, input_mb: float) -> str:
    """The DirectRunner settings this config picks for `input_mb` MB, e.g. "in_memory, 1 worker"."""
    mode, workers = config.direct_runner_settings(input_mb)
    workers_text = {0: "one worker per core", 1: "1 worker"}.get(workers, f"{workers} workers")
    return f"{mode}, {workers_text}"


def local_beam_pipeline_args(config: PipelineConfig):
    """The DirectRunner arguments for this config's data, logged in one line."""
    size = input_megabytes(config.data_root)
    logging.info("Beam DirectRunner: %s (input %.1f MB; beam_direct_running_mode %s)",
                 describe_direct_runner(config, size), size, config.beam_direct_running_mode)
    return config.beam_pipeline_args(size)


def build_pipeline(config: PipelineConfig, metadata_connection_config=None, **overrides):
    """`create_pipeline` with the paths and settings of a config (`overrides` replace any
    argument: the Kubeflow runner passes runtime parameters and in-image paths)."""
    from components.ingest.rows import IngestSettings
    from components.transform.preprocessing import TransformSettings
    from pipeline.pipeline import create_pipeline

    features = config.features()
    arguments = dict(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        data_root=os.path.abspath(config.data_root),
        schema_path=config.resolved_schema_path,
        serving_dir=config.serving_dir,
        ingest=IngestSettings(features=features, max_image_pixels=config.max_image_pixels,
                              max_quarantine_fraction=config.max_quarantine_fraction,
                              layout=config.layout, max_line_bytes=config.max_csv_line_bytes),
        input_pattern=config.input_pattern,
        input_splits=config.input_splits,
        split_key=config.split_key,
        train_buckets=config.train_buckets,
        eval_buckets=config.eval_buckets,
        transform=TransformSettings(features=features, image_height=config.image_height,
                                    image_width=config.image_width,
                                    image_channels=config.image_channels,
                                    resize_mode=config.resize_mode),
        trainer=trainer_settings(config, features),
        train_steps=config.train_steps,
        eval_steps=config.eval_steps,
        warm_start=config.warm_start,
        span_window=config.span_window,
        max_eval_rmse=config.max_eval_rmse,
        metadata_connection_config=metadata_connection_config,
        component_beam_args=config.component_beam_args,
    )
    if "beam_pipeline_args" not in overrides:
        arguments["beam_pipeline_args"] = local_beam_pipeline_args(config)
    return create_pipeline(**{**arguments, **overrides})


def run_local(config: PipelineConfig) -> None:
    """Runs the whole pipeline once; raises when a component fails."""
    from tfx import v1 as tfx

    os.makedirs(config.output_dir, exist_ok=True)
    metadata = tfx.orchestration.metadata.sqlite_metadata_connection_config(config.metadata_path)
    tfx.orchestration.LocalDagRunner().run(build_pipeline(config, metadata))
