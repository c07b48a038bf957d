"""`compile` and `deploy`: the Kubeflow pipeline spec, uploaded and run (or scheduled)."""

from __future__ import annotations

import argparse
import os
import sys

from pipeline.cli.arguments import config_from
from pipeline.config import ConfigError, check_model_builder


def cmd_compile(args: argparse.Namespace) -> int:
    """Writes the Kubeflow pipeline JSON."""
    config = config_from(args)
    check_model_builder(config, args.config)
    from pipeline.runners.kubeflow import compile_pipeline

    path = compile_pipeline(config, args.image, args.output, args.spec,
                            allow_local_paths=args.allow_local_paths)
    print(f"Wrote the Kubeflow pipeline spec {args.spec} to {path} (image {args.image})")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    """Uploads a compiled pipeline to Kubeflow and starts a run or a recurring run."""
    if not os.path.isfile(args.pipeline):
        raise ConfigError(f"--pipeline {args.pipeline!r} is not a file; run `compile` first")
    parameters = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--param {item!r}: use NAME=VALUE, e.g. data-root=gs://b/data")
        parameters[name] = value
    from pipeline.runners.kubeflow_deploy import DeployError, deploy, kfp_cron

    if args.schedule:
        try:
            kfp_cron(args.schedule)
        except ValueError as err:
            raise ConfigError(str(err)) from None
    from pipeline.evaluation import THRESHOLD_SETTINGS

    thresholds = {setting: getattr(args, setting) for setting in THRESHOLD_SETTINGS}
    try:
        result = deploy(args.pipeline, args.host, args.experiment, parameters, args.schedule,
                        namespace=args.namespace, train_steps=args.train_steps,
                        learning_rate=args.learning_rate, **thresholds)
    except DeployError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if result.recurring_run_id:
        print(f"Created recurring run {result.recurring_run_id} (pipeline {result.pipeline_id}, "
              f"version {result.version_id})")
    else:
        print(f"Started run {result.run_id} (pipeline {result.pipeline_id}, "
              f"version {result.version_id})")
    return 0
