"""Assembly: a `PipelineConfig` -> the arguments of `dag.create_pipeline`, for every runner.

The local runner and the Kubeflow compiler both call `pipeline_arguments`; Kubeflow then replaces
some values with runtime parameters and in-image paths. Each component's settings carry a
fingerprint of the code it runs (TFX's cache key does not hash code behind a dotted path).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any, Dict, Optional

from pipeline.config import PipelineConfig
from pipeline.data_files import data_files
from pipeline.fingerprint import code_fingerprint, file_fingerprint

# The code each component runs, fingerprinted into its properties.
INGEST_CODE = ("components.ingest", "schemas")
TRANSFORM_CODE = ("components.transform", "schemas")
TRAINER_CODE = ("components.trainer", "components.transform", "schemas")
DATA_GATE_CODE = ("components.data_gate", "schemas")


def trainer_custom_config(config: PipelineConfig) -> Dict[str, Any]:
    """The Trainer's custom_config: the config's trainer settings (same names) plus the
    fingerprint of the code it runs (a user's model builder included)."""
    from components.trainer.run import TrainerSettings

    names = {f.name for f in dataclasses.fields(TrainerSettings)} - {"features",
                                                                     "code_fingerprint"}
    code = TRAINER_CODE + ((config.model_builder.rpartition(".")[0],)
                           if config.model_builder else ())
    return TrainerSettings(features=config.features(), code_fingerprint=code_fingerprint(code),
                           **{name: getattr(config, name) for name in names}).to_dict()


def input_megabytes(data_root: str, output_dir: Optional[str] = None) -> float:
    """Size in MB of the files under a local data root: what the data components read at most
    (older spans count too); the output directory's files are left out when it lies inside the
    data root (`pipeline.data_files`)."""
    return sum(stat.st_size for _, stat in data_files(data_root, output_dir) if stat) / 2**20


def describe_direct_runner(config: PipelineConfig, input_mb: float) -> str:
    """The DirectRunner settings this config picks for `input_mb` MB, e.g. "in_memory, 1 worker"."""
    mode, workers = config.direct_runner_settings(input_mb)
    workers_text = {0: "one worker per core", 1: "1 worker"}.get(workers, f"{workers} workers")
    return f"{mode}, {workers_text}"


def local_beam_pipeline_args(config: PipelineConfig):
    """The DirectRunner arguments for this config's data, logged in one line."""
    size = input_megabytes(config.data_root, config.output_dir)
    logging.info("Beam DirectRunner: %s (input %.1f MB; beam_direct_running_mode %s)",
                 describe_direct_runner(config, size), size, config.beam_direct_running_mode)
    return config.beam_pipeline_args(size)


def pipeline_arguments(config: PipelineConfig) -> Dict[str, Any]:
    """The arguments of `create_pipeline` for this config, all but `beam_pipeline_args` (each
    runner adds its own, e.g. `local_beam_pipeline_args`) and the metadata connection; runners
    may replace any of them, e.g. with Kubeflow runtime parameters."""
    from components.ingest.rows import IngestSettings
    from components.transform.preprocessing import TransformSettings
    from pipeline.evaluation import eval_config

    features = config.features()
    return dict(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        data_root=os.path.abspath(config.data_root),
        schema_path=config.resolved_schema_path,
        schema_fingerprint=file_fingerprint(config.resolved_schema_path),
        data_gate_fingerprint=code_fingerprint(DATA_GATE_CODE),
        serving_dir=config.serving_dir,
        ingest=IngestSettings(features=features, max_image_pixels=config.max_image_pixels,
                              max_quarantine_fraction=config.max_quarantine_fraction,
                              image_channels=config.image_channels,
                              layout=config.layout, max_line_bytes=config.max_csv_line_bytes,
                              code_fingerprint=code_fingerprint(INGEST_CODE)),
        input_pattern=config.input_pattern,
        input_splits=config.input_splits,
        split_key=config.split_key,
        train_buckets=config.train_buckets,
        eval_buckets=config.eval_buckets,
        transform=TransformSettings(features=features, image_height=config.image_height,
                                    image_width=config.image_width,
                                    image_channels=config.image_channels,
                                    resize_mode=config.resize_mode,
                                    code_fingerprint=code_fingerprint(TRANSFORM_CODE)),
        trainer_config=trainer_custom_config(config),
        train_steps=config.train_steps,
        eval_steps=config.eval_steps,
        warm_start=config.warm_start,
        span_window=config.span_window,
        eval_config=eval_config(features, config.max_eval_rmse, config.min_eval_accuracy,
                                config.min_eval_auc, config.beat_trivial_predictor,
                                balanced_classes=config.class_weights == "balanced"),
        component_beam_args=config.component_beam_args,
    )
