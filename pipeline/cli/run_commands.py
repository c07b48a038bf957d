"""`run`, `schedule` and `runs`: local runs under the output-directory lock, their summary and
report, and the run history."""

from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from typing import Optional

from pipeline.cli.arguments import config_from
from pipeline.data_files import undecodable_file_name
from pipeline.config import (ConfigError, PipelineConfig, check_model_builder,
                             working_directory_hint)

UNMATCHED_SHOWN = 5  # CSV files the input patterns leave out, named in the run's log


def cmd_run(args: argparse.Namespace) -> int:
    """Runs the pipeline locally and prints the run summary."""
    from pipeline.datasets import demos

    config = config_from(args, defaults=demos.DEMOS[args.demo] if args.demo else None)
    if args.demo and demos.ensure(args.demo, config.data_root, config.features(),
                                  rows=args.demo_rows):
        print(f"Generated demo data in {os.path.abspath(config.data_root)}")
    _preflight(config, args.config)
    from pipeline.runners.run_lock import AlreadyRunning, RunLock

    try:
        with RunLock(config.output_dir):
            return _run_and_report(config, recheck=args.recheck)
    except AlreadyRunning as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _preflight(config: PipelineConfig, config_path: Optional[str]) -> None:
    """Checks that need no heavy import: data root present with file names TFX can list, output
    directory usable, the model builder importable."""
    check_model_builder(config, config_path)
    if not os.path.isdir(config.data_root):
        raise ConfigError(f"data_root {config.data_root!r} does not exist" + (
            working_directory_hint(config_path, config.data_root)
            or " (pass --demo to generate the demo data there)"))
    patterns = (config.input_splits or {"": config.input_pattern}).values()
    undecodable = undecodable_file_name(config.data_root, list(patterns), config.output_dir)
    if undecodable:
        raise ConfigError(f"data_root {config.data_root} holds a file whose name is not UTF-8 "
                          f"text ({undecodable}), which TFX cannot list: rename or move it")
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


def _run_and_report(config: PipelineConfig, recheck: bool = False) -> int:
    """One pipeline run (the caller holds the run lock), then its summary; 1 on a data error.
    Skipped, printing the last run's summary, when nothing it reads changed since that run
    succeeded (unless `recheck`): see pipeline/runners/up_to_date.py."""
    import logging

    from pipeline.runners import up_to_date

    started = time.monotonic()
    inputs = up_to_date.run_inputs(config)
    why = "--recheck" if recheck else up_to_date.why_not_skipped(config, inputs)
    if why is None:
        print(up_to_date.read_record(config).skip_message(), flush=True)
        return 0
    logging.info("Running through TFX: %s", why)
    _note_unmatched_csv_files(config)
    up_to_date.forget_success(config)
    return _run_through_tfx(config, inputs, started)


def _note_unmatched_csv_files(config: PipelineConfig) -> None:
    """Logs the CSV files under the data root that the input patterns leave out (a second file
    dropped beside `input_pattern: data.csv` is not read, though it counts as a data change)."""
    import logging

    from pipeline.data_files import unmatched_csv_files

    if config.layout != "csv":
        return
    patterns = sorted((config.input_splits or {"": config.input_pattern}).values())
    unmatched = unmatched_csv_files(config.data_root, patterns, config.output_dir)
    if unmatched:
        shown = ", ".join(unmatched[:UNMATCHED_SHOWN]) + (
            f" and {len(unmatched) - UNMATCHED_SHOWN} more" if len(unmatched) > UNMATCHED_SHOWN
            else "")
        logging.info("Not ingested: %d CSV file(s) under data_root that %s %s does not match: "
                     "%s", len(unmatched), "input_splits" if config.input_splits else
                     "input_pattern", " or ".join(repr(p) for p in patterns), shown)


def _run_through_tfx(config: PipelineConfig, inputs, started: float) -> int:
    """The run through TFX's LocalDagRunner, its summary, report and history; records it when
    it succeeds."""
    from components.errors import DataError
    from pipeline.runners import up_to_date
    from pipeline.runners.local import run_local
    from pipeline.reporting.summary import summarize_latest_run

    try:
        run_local(config)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        print(f"(metadata store: {config.metadata_path}; history: {_write_history(config)})",
              file=sys.stderr)
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
    printed = [summary.render(elapsed_seconds=time.monotonic() - started)]
    stdout_closed = not _show(printed[-1])
    from pipeline.reporting.report import write_report

    report_started = time.monotonic()
    report = write_report(summary, config.output_dir, config.features())
    printed.append(f"  {'report':<34}{report} ({os.path.getsize(report) / 1024:.0f} KB, "
                   f"written in {time.monotonic() - report_started:.1f} s)")
    stdout_closed = not _show(printed[-1]) or stdout_closed
    printed.append(f"  {'history':<34}{_write_history(config)}")
    stdout_closed = not _show(printed[-1]) or stdout_closed
    up_to_date.record_success(config, inputs, summary.run_id, "\n".join(printed), report)
    if stdout_closed:  # `main` ends the command quietly, with the status of a cut-short output
        raise BrokenPipeError(errno.EPIPE, "standard output was closed")
    return 0


def _show(line: str) -> bool:
    """Prints a line of the run's summary; False when standard output is closed (`run | head
    -1`): the run's report, history and record are still written, then the command ends."""
    try:
        print(line, flush=True)
        return True
    except BrokenPipeError:
        return False


def _write_history(config: PipelineConfig, summaries=None) -> Optional[str]:
    """Rewrites `<output_dir>/history.html` from every run in the metadata store (or from
    `summaries`); None when the store holds no run of this pipeline."""
    from pipeline.reporting.history import write_history
    from pipeline.reporting.summary import summarize_all_runs

    try:
        summaries = summarize_all_runs(config) if summaries is None else summaries
    except (FileNotFoundError, LookupError):
        return None
    return write_history(summaries, config.output_dir, config.pipeline_name)


def cmd_schedule(args: argparse.Namespace) -> int:
    """Runs the pipeline at each cron tick until SIGTERM (or one run with --once, which needs
    no --cron)."""
    if args.cron is None and not args.once:
        args.usage_error("the following arguments are required: --cron (or --once for one run "
                         "now)")
    config = config_from(args)
    from pipeline.runners.scheduler import CronError, Scheduler

    try:
        scheduler = Scheduler(args.cron, config.output_dir, job=lambda: _scheduled_run(config))
    except CronError as err:
        raise ConfigError(str(err)) from None
    _preflight(config, args.config)
    if args.once:
        return 0 if scheduler.tick() in ("ran", "skipped") else 1
    scheduler.stop_on_signals()
    scheduler.run_forever()
    return 0


def _scheduled_run(config: PipelineConfig) -> None:
    """One scheduled run; a data error, which the run has printed, raises RunFailed (logged by
    the scheduler without a traceback)."""
    from pipeline.runners.scheduler import RunFailed

    if _run_and_report(config) != 0:
        raise RunFailed("the run stopped on a data error (see above)")


def cmd_runs(args: argparse.Namespace) -> int:
    """Lists past runs from the metadata store (and writes the history page with --html)."""
    config = config_from(args)
    from pipeline.reporting.summary import render_history, summarize_all_runs

    try:
        summaries = summarize_all_runs(config)
    except (FileNotFoundError, LookupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(render_history(summaries))
    if args.html:
        print(f"history: {_write_history(config, summaries)}")
    return 0
