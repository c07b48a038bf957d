"""Arguments shared by the commands that read a pipeline config."""

from __future__ import annotations

import argparse
from typing import Any, Mapping, Optional

from pipeline.config import PipelineConfig, load_config


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML file of settings (see pipeline/config.py)")
    parser.add_argument("--data-root", help="folder holding the CSV files and images")
    parser.add_argument("--output-dir", help="where pipeline artifacts, metadata and models go")
    parser.add_argument("--dataset", help="dataset schema under schemas/ (default: digits)")
    parser.add_argument("--train-steps", type=int, help="training steps")
    parser.add_argument("--pipeline-name", help="pipeline name in the metadata store")


def config_from(args: argparse.Namespace,
                defaults: Optional[Mapping[str, Any]] = None) -> PipelineConfig:
    """The config of a command: `defaults` (e.g. a demo's), then the file, then the flags."""
    return load_config(args.config, {
        "data_root": args.data_root, "output_dir": args.output_dir, "dataset": args.dataset,
        "train_steps": args.train_steps, "pipeline_name": args.pipeline_name}, defaults)
