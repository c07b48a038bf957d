"""Command line of tfx-multimodal (`pipeline_runner.py` and the `tfx-multimodal` script).

Heavy imports (TensorFlow, TFX, Beam) happen inside the commands, after the arguments and the
config are checked, so `--help` and configuration errors answer at once. One module per group of
commands; this one builds the parser, maps a `ConfigError` to one line and exit code 2, and
ends a command whose standard output was closed (`... | head -3`) quietly with SIGPIPE_EXIT.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
from typing import List, Optional

from pipeline.cli import dataset_commands, kubeflow_commands, predict_command, run_commands
from pipeline.cli.arguments import add_config_arguments
from pipeline.cli.console import configure_logging
from pipeline.config import ConfigError

SIGPIPE_EXIT = 128 + signal.SIGPIPE  # 141: what a shell reports for a program SIGPIPE ended


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline_runner.py",
        description="tfx-multimodal: a TFX pipeline for models that read images and tabular "
                    "columns.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the pipeline locally (LocalDagRunner)")
    add_config_arguments(run)
    run.add_argument("--demo", nargs="?", const="regress", choices=["regress", "classify"],
                     help="run a demo: its settings as defaults, its data generated in "
                          "data_root when missing (regress: the default; classify: digits as "
                          "class folders)")
    run.add_argument("--demo-rows", type=int, help="with --demo: only this many rows")
    run.add_argument("--recheck", action="store_true",
                     help="run through TFX even when nothing changed since the last "
                          "successful run (its cache still applies per component)")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="show TFX, Beam and TensorFlow logs (default: errors only)")
    run.set_defaults(handler=run_commands.cmd_run)

    demo = commands.add_parser("demo-data", help="write the demo dataset (digits CSV + images)")
    add_config_arguments(demo)
    demo.add_argument("--out", help="output folder (default: data_root)")
    demo.add_argument("--rows", type=int, help="only this many rows (default: all 1,797)")
    demo.set_defaults(handler=dataset_commands.cmd_demo_data)

    schedule = commands.add_parser(
        "schedule", help="run the pipeline on a cron schedule until stopped (SIGTERM)")
    add_config_arguments(schedule)
    schedule.add_argument("--cron",
                          help="five-field cron expression, e.g. '0 3 * * *' (03:00 daily); "
                          "required unless --once")
    schedule.add_argument("--once", action="store_true",
                          help="one run now, for system cron or a systemd timer (no --cron "
                          "needed)")
    schedule.add_argument("-v", "--verbose", action="store_true", help="show library logs")
    schedule.set_defaults(handler=run_commands.cmd_schedule, usage_error=schedule.error)

    compile_ = commands.add_parser("compile", help="compile the pipeline for an orchestrator")
    add_config_arguments(compile_)
    compile_.add_argument("--target", choices=["kubeflow"], required=True)
    compile_.add_argument("--image", required=True,
                          help="container image built from this repository's Dockerfile")
    compile_.add_argument("--output", default="pipeline.json", help="pipeline JSON to write")
    compile_.add_argument("--spec", choices=["2.1", "2.0"], default="2.1",
                          help="pipeline spec schema: 2.1 (default) for KFP 2, whose tasks read "
                          "parameterValues; 2.0 for backends that send legacy parameters")
    compile_.add_argument("--allow-local-paths", action="store_true",
                          help="accept a data_root and kubeflow_pipeline_root on this machine, "
                          "for running the tasks here (tests/e2e/kfp_launcher.py), not on a "
                          "cluster")
    compile_.set_defaults(handler=kubeflow_commands.cmd_compile)

    deploy = commands.add_parser(
        "deploy", help="upload a compiled pipeline to Kubeflow and run it (or schedule it)")
    deploy.add_argument("--host", required=True, help="KFP API endpoint, e.g. http://kfp:8888")
    deploy.add_argument("--pipeline", default="pipeline.json", help="compiled pipeline JSON")
    deploy.add_argument("--experiment", default="tfx-multimodal")
    deploy.add_argument("--namespace", help="your namespace, on a multi-user Kubeflow")
    deploy.add_argument("--schedule", help="cron: a recurring run instead of one run; six "
                        "fields, seconds first ('0 0 3 * * *'), or five (second 0 is added)")
    deploy.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="runtime parameter, e.g. data-root=gs://bucket/data")
    deploy.add_argument("--train-steps", type=int, help="this run's training steps")
    deploy.add_argument("--learning-rate", type=float, help="this run's learning rate")
    deploy.add_argument("--max-eval-rmse", type=float,
                        help="this run's RMSE bound for blessing (regression)")
    deploy.add_argument("--min-eval-accuracy", type=float,
                        help="this run's accuracy bound for blessing (classifiers)")
    deploy.add_argument("--min-eval-auc", type=float,
                        help="this run's AUC bound for blessing (binary classifiers)")
    deploy.set_defaults(handler=kubeflow_commands.cmd_deploy)

    predict = commands.add_parser(
        "predict", help="score the raw rows of a CSV file, or a folder of images, with the "
        "latest pushed model")
    predict.add_argument("--config", required=True, help="the pipeline's YAML config")
    rows = predict.add_mutually_exclusive_group(required=True)
    rows.add_argument("--csv", help="rows to score (the label may be absent)")
    rows.add_argument("--images", help="a folder whose PNG/JPEG files (subfolders too) are the "
                      "rows, when the model's only input is one image")
    predict.add_argument("--output", required=True, help="CSV file to write: one row per input "
                         "row, in order")
    predict.add_argument("--model", help="a serving model folder (default: the latest pushed)")
    predict.add_argument("--data-root", help="folder image paths are relative to (default: the "
                         "CSV's folder; not with --images)")
    predict.add_argument("-v", "--verbose", action="store_true", help="show library logs")
    predict.set_defaults(handler=predict_command.cmd_predict)

    runs = commands.add_parser("runs", help="list past runs from the metadata store")
    add_config_arguments(runs)
    runs.add_argument("--html", action="store_true",
                      help="also write <output_dir>/history.html (charts, links to reports)")
    runs.add_argument("-v", "--verbose", action="store_true", help="show library logs")
    runs.set_defaults(handler=run_commands.cmd_runs)

    schema = commands.add_parser("schema", help="schema tools")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True,
                                            metavar="SCHEMA_COMMAND")
    infer = schema_commands.add_parser(
        "infer", help="write a draft schema from a CSV file (runs as it is; review it)")
    infer.add_argument("--csv", required=True, help="a CSV file of the dataset")
    infer.add_argument("--label", required=True, help="the label column")
    infer.add_argument("--out", required=True, help="the schema file to write, or a folder "
                       "to write schema.pbtxt in")
    infer.add_argument("--data-root", help="folder image paths are relative to (default: the "
                       "CSV's folder)")
    infer.add_argument("--rows", type=int, help="read only this many rows (default: all)")
    infer.add_argument("--force", action="store_true", help="overwrite an existing file")
    infer.set_defaults(handler=dataset_commands.cmd_schema_infer)

    init = commands.add_parser(
        "init", help="draft a schema and a commented config from a CSV file or class folders, "
        "and print the run command")
    init.add_argument("--csv", help="a CSV file of the dataset")
    init.add_argument("--label", help="the label column")
    init.add_argument("--layout", choices=["csv", "class_folders"], default="csv",
                      help="class_folders: <data-root>/<class>/<image> files, no CSV")
    init.add_argument("--data-root", help="folder holding the images (default: the CSV's "
                      "folder)")
    init.add_argument("--out", help="folder for schema.pbtxt and config.yaml (default: "
                      "<name>-pipeline, from the CSV or data root)")
    init.add_argument("--rows", type=int, help="infer from only this many rows (default: all)")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(handler=dataset_commands.cmd_init)
    return parser


def _stdout_closed() -> bool:
    """Whether standard output is a pipe whose reader has gone (poll reports an error on it)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError):  # no file descriptor (a captured stream): not a closed pipe
        return False


def main(argv: Optional[List[str]] = None) -> int:
    """Runs one command and returns its exit status.

    When the reader of standard output goes away (`pipeline_runner.py init ... | head -3`), the
    command ends without a message with SIGPIPE_EXIT (141), the status `yes | head` gives `yes`:
    nothing went wrong that needs saying, but the output was cut short, which a script with
    `set -o pipefail` can tell from a complete run. Work done before that point (files
    written) stays done. A broken pipe that is not standard output's is raised as it is.
    """
    try:
        try:
            code = _run(argv)
        except SystemExit:  # argparse printed --help (or a usage error) and exits
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # buffered output meets a closed pipe here, not at interpreter exit
        return code
    except BrokenPipeError:
        if not _stdout_closed():
            raise
        # the interpreter flushes stdout again at exit: let that write go nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return SIGPIPE_EXIT


def _run(argv: Optional[List[str]]) -> int:
    """Parses the arguments and runs the command; a `ConfigError` is one line and exit code 2."""
    args = build_parser().parse_args(argv)
    configure_logging(getattr(args, "verbose", False))  # before any library loads
    try:
        return args.handler(args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
