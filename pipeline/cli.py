"""Command line of tfx-multimodal (`pipeline_runner.py` and the `tfx-multimodal` script).

Heavy imports (TensorFlow, TFX, Beam) happen inside the commands, after the arguments and the
config are checked, so `--help` and configuration errors answer at once.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from typing import List, Optional

from pipeline.config import ConfigError, PipelineConfig, load_config


def _add_config_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML file of settings (see pipeline/config.py)")
    parser.add_argument("--data-root", help="folder holding the CSV files and images")
    parser.add_argument("--output-dir", help="where pipeline artifacts, metadata and models go")
    parser.add_argument("--dataset", help="dataset schema under schemas/ (default: digits)")
    parser.add_argument("--train-steps", type=int, help="training steps")
    parser.add_argument("--pipeline-name", help="pipeline name in the metadata store")


def _config_from(args: argparse.Namespace) -> PipelineConfig:
    return load_config(args.config, {
        "data_root": args.data_root, "output_dir": args.output_dir, "dataset": args.dataset,
        "train_steps": args.train_steps, "pipeline_name": args.pipeline_name})


class OwnProgressFilter(logging.Filter):
    """Passes errors, and this project's own INFO logs (rows ingested, training steps with loss,
    exports): the console shows progress without the libraries' chatter."""

    def __init__(self):
        super().__init__()
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self._own = tuple(os.path.join(here, package) + os.sep
                          for package in ("components", "pipeline"))

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or record.pathname.startswith(self._own)


def _configure_logging(verbose: bool) -> None:
    """Before TensorFlow loads: library logs and warnings only with --verbose; this project's
    progress always."""
    # 3: TensorFlow's C++ log at import holds "E" lines that are no errors (CUDA plugins that a
    # CPU-only machine registers twice); every real failure still raises with its message.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if verbose else "3")
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.INFO)  # absl's records propagate to the root logger
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    if not verbose:
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        # Beam's multi_processing workers are new interpreters: they read this, not our filters
        os.environ.setdefault("PYTHONWARNINGS", "ignore::FutureWarning,ignore::DeprecationWarning")
        console.addFilter(OwnProgressFilter())
    # the only root handler: libraries' later basicConfig calls then change nothing
    logging.basicConfig(level=logging.INFO, handlers=[console], force=True)


def cmd_run(args: argparse.Namespace) -> int:
    """Runs the pipeline locally and prints the run summary."""
    config = _config_from(args)
    from pipeline import demo_data

    if args.demo and demo_data.ensure(config.data_root, config.features(), rows=args.demo_rows):
        print(f"Generated demo data in {os.path.abspath(config.data_root)}")
    _preflight(config)
    _configure_logging(args.verbose)
    from pipeline.run_lock import AlreadyRunning, RunLock

    try:
        with RunLock(config.output_dir):
            return _run_and_report(config)
    except AlreadyRunning as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _preflight(config: PipelineConfig) -> None:
    """Checks that need no heavy import: data root present, output directory usable."""
    if not os.path.isdir(config.data_root):
        raise ConfigError(f"data_root {config.data_root!r} does not exist "
                          "(pass --demo to generate the demo data there)")
    _check_output_dir(config)


def _check_output_dir(config: PipelineConfig) -> None:
    """The output directory must be writable and have room, before any work starts."""
    import shutil
    import tempfile

    path = os.path.abspath(config.output_dir)
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as err:
        raise ConfigError(f"output directory {path} is not writable: {err.strerror}") from None
    free_mb = shutil.disk_usage(path).free / 2**20
    if free_mb < config.min_free_disk_mb:
        raise ConfigError(f"output directory {path} has {free_mb:.1f} MB free; at least "
                          f"{config.min_free_disk_mb} MB needed (min_free_disk_mb)")


def _disk_full(err: BaseException):
    """The OSError(ENOSPC) behind an exception, if one is in its chain."""
    import errno

    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            return err
        if "No space left on device" in str(err):
            return err
        err = err.__cause__ or err.__context__
    return None


def _run_and_report(config: PipelineConfig) -> int:
    """One pipeline run (the caller holds the run lock), then its summary; 1 on a data error."""
    from components.errors import DataError
    from pipeline.local_runner import run_local
    from pipeline.summary import summarize_latest_run

    started = time.monotonic()
    try:
        run_local(config)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        print(f"(metadata store: {config.metadata_path})", file=sys.stderr)
        return 1
    except Exception as err:  # pylint: disable=broad-except  # only a full disk is translated
        full = _disk_full(err)
        if full is None:
            raise
        where = getattr(full, "filename", None) or os.path.abspath(config.output_dir)
        print(f"error: no space left on device while writing {where}; free space under "
              f"{os.path.abspath(config.output_dir)} and run again (completed steps come from "
              "cache)", file=sys.stderr)
        return 1
    summary = summarize_latest_run(config)
    print(summary.render(elapsed_seconds=time.monotonic() - started))
    from pipeline.report import write_report

    print(f"  {'report':<34}{write_report(summary, config.output_dir)}", flush=True)
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    """Runs the pipeline at each cron tick until SIGTERM (or one run with --once)."""
    config = _config_from(args)
    from pipeline.scheduler import CronError, Scheduler

    try:
        scheduler = Scheduler(args.cron, config.output_dir, job=lambda: _scheduled_run(config))
    except CronError as err:
        raise ConfigError(str(err)) from None
    _preflight(config)
    _configure_logging(args.verbose)
    if args.once:
        return 0 if scheduler.tick() in ("ran", "skipped") else 1
    scheduler.stop_on_signals()
    scheduler.run_forever()
    return 0


def _scheduled_run(config: PipelineConfig) -> None:
    if _run_and_report(config) != 0:
        raise RuntimeError("the run stopped on a data error (see above)")


def cmd_compile(args: argparse.Namespace) -> int:
    """Writes the Kubeflow pipeline JSON."""
    config = _config_from(args)
    _configure_logging(verbose=False)
    from pipeline.kubeflow_runner import compile_pipeline

    path = compile_pipeline(config, args.image, args.output)
    print(f"Wrote the Kubeflow pipeline spec to {path} (image {args.image})")
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
    from pipeline.kubeflow_deploy import DeployError, deploy, kfp_cron

    if args.schedule:
        try:
            kfp_cron(args.schedule)
        except ValueError as err:
            raise ConfigError(str(err)) from None
    try:
        result = deploy(args.pipeline, args.host, args.experiment, parameters, args.schedule,
                        train_steps=args.train_steps, learning_rate=args.learning_rate,
                        max_eval_rmse=args.max_eval_rmse)
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


def cmd_runs(args: argparse.Namespace) -> int:
    """Lists past runs from the metadata store."""
    config = _config_from(args)
    from pipeline.summary import render_history, summarize_all_runs

    try:
        summaries = summarize_all_runs(config)
    except (FileNotFoundError, LookupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(render_history(summaries))
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Writes the demo dataset."""
    config = _config_from(args)
    from pipeline import demo_data

    result = demo_data.generate(args.out or config.data_root, config.features(), rows=args.rows)
    print(f"Wrote {result.rows} rows to {result.csv_path}")
    return 0


def cmd_schema_infer(args: argparse.Namespace) -> int:
    """Writes a draft schema inferred from a CSV sample."""
    if not os.path.isfile(args.csv):
        raise ConfigError(f"--csv {args.csv!r} is not a file")
    _configure_logging(verbose=False)
    from pipeline import schema_infer

    try:
        schema = schema_infer.infer_schema(args.csv, args.label, max_rows=args.rows)
        path = schema_infer.write_draft(schema, args.out, force=args.force)
    except schema_infer.InferError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Wrote a draft schema to {path}; review types, domains and presence, then use it as "
          "schema_path. Roles the pipeline derives from it:")
    print(schema_infer.describe(schema))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline_runner.py",
        description="tfx-multimodal: a TFX pipeline for models that read images and tabular "
                    "columns.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the pipeline locally (LocalDagRunner)")
    _add_config_arguments(run)
    run.add_argument("--demo", action="store_true",
                     help="generate the demo data in data_root first when it is missing")
    run.add_argument("--demo-rows", type=int, help="with --demo: only this many rows")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="show TFX, Beam and TensorFlow logs (default: errors only)")
    run.set_defaults(handler=cmd_run)

    demo = commands.add_parser("demo-data", help="write the demo dataset (digits CSV + images)")
    _add_config_arguments(demo)
    demo.add_argument("--out", help="output folder (default: data_root)")
    demo.add_argument("--rows", type=int, help="only this many rows (default: all 1,797)")
    demo.set_defaults(handler=cmd_demo_data)

    schedule = commands.add_parser(
        "schedule", help="run the pipeline on a cron schedule until stopped (SIGTERM)")
    _add_config_arguments(schedule)
    schedule.add_argument("--cron", required=True,
                          help="five-field cron expression, e.g. '0 3 * * *' (03:00 daily)")
    schedule.add_argument("--once", action="store_true",
                          help="one run now, for system cron or a systemd timer")
    schedule.add_argument("-v", "--verbose", action="store_true", help="show library logs")
    schedule.set_defaults(handler=cmd_schedule)

    compile_ = commands.add_parser("compile", help="compile the pipeline for an orchestrator")
    _add_config_arguments(compile_)
    compile_.add_argument("--target", choices=["kubeflow"], required=True)
    compile_.add_argument("--image", required=True,
                          help="container image built from this repository's Dockerfile")
    compile_.add_argument("--output", default="pipeline.json", help="pipeline JSON to write")
    compile_.set_defaults(handler=cmd_compile)

    deploy = commands.add_parser(
        "deploy", help="upload a compiled pipeline to Kubeflow and run it (or schedule it)")
    deploy.add_argument("--host", required=True, help="KFP API endpoint, e.g. http://kfp:8888")
    deploy.add_argument("--pipeline", default="pipeline.json", help="compiled pipeline JSON")
    deploy.add_argument("--experiment", default="tfx-multimodal")
    deploy.add_argument("--schedule", help="cron: a recurring run instead of one run; six "
                        "fields, seconds first ('0 0 3 * * *'), or five (second 0 is added)")
    deploy.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="runtime parameter, e.g. data-root=gs://bucket/data")
    deploy.add_argument("--train-steps", type=int, help="this run's training steps")
    deploy.add_argument("--learning-rate", type=float, help="this run's learning rate")
    deploy.add_argument("--max-eval-rmse", type=float, help="this run's RMSE bound for blessing")
    deploy.set_defaults(handler=cmd_deploy)

    runs = commands.add_parser("runs", help="list past runs from the metadata store")
    _add_config_arguments(runs)
    runs.set_defaults(handler=cmd_runs)

    schema = commands.add_parser("schema", help="schema tools")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True,
                                            metavar="SCHEMA_COMMAND")
    infer = schema_commands.add_parser(
        "infer", help="write a draft schema from a CSV sample, for a person to curate")
    infer.add_argument("--csv", required=True, help="a CSV file of the dataset")
    infer.add_argument("--label", required=True, help="the label column")
    infer.add_argument("--out", required=True, help="where to write schema.pbtxt")
    infer.add_argument("--rows", type=int, default=1000, help="sample size (default 1000)")
    infer.add_argument("--force", action="store_true", help="overwrite an existing file")
    infer.set_defaults(handler=cmd_schema_infer)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
