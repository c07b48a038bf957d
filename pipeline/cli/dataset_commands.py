"""`demo-data`, `schema infer` and `init`: the demo dataset, a draft schema from a CSV, and a
draft schema plus config from a CSV or class folders."""

from __future__ import annotations

import argparse
import os
import shlex
import sys

import schemas

from pipeline.cli.arguments import config_from
from pipeline.config import ConfigError


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Writes the demo dataset."""
    config = config_from(args)
    from pipeline.datasets import demo_data

    result = demo_data.generate(args.out or config.data_root, config.features(), rows=args.rows)
    print(f"Wrote {result.rows} rows to {result.csv_path}")
    return 0


def _data_errors(command):
    """Runs `command`, printing a data error (bad CSV, label gaps, existing output) or a file
    that cannot be read or written as one line and returning 1."""
    from components.errors import DataError

    try:
        return command()
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # stdout closed: `main` ends the command quietly
        raise
    except OSError as err:
        print(f"error: {err.filename}: {err.strerror}", file=sys.stderr)
        return 1


def cmd_schema_infer(args: argparse.Namespace) -> int:
    """Writes a draft schema inferred from a CSV file."""
    from pipeline.datasets import csv_table, draft_text, project_init, schema_infer

    def infer() -> int:
        table = csv_table.read_table(args.csv, args.label, args.rows)
        data_root = os.path.abspath(args.data_root or os.path.dirname(os.path.abspath(args.csv)))
        draft = schema_infer.infer_draft(table, args.label, data_root)
        out = args.out
        if out.endswith(("/", os.sep)) or os.path.isdir(out):  # a folder, as `init --out` takes
            out = os.path.join(out, schemas.SCHEMA_FILE_NAME)
        path = draft_text.write_text(draft_text.render_draft(draft, args.csv), out,
                                       force=args.force)
        print(f"Wrote a draft schema to {path} ({draft.rows} rows read).")
        if table.empty_last_column:
            print(f"note: {csv_table.empty_last_column_note(table)}")
        if draft.label_empty:
            print(f"note: {project_init.empty_label_note(draft, args.label)}")
        if table.converted:
            print(f"note: {args.csv} has {table.converted}; `init` writes it as a standard CSV "
                  "that the pipeline reads")
        print(f"Task: {draft_text.task_line(draft)}. Columns:")
        print(draft_text.describe(draft))
        return 0

    return _data_errors(infer)


def _shown_path(path: str) -> str:
    """A path relative to the working directory when it lies under it, else absolute
    (`../../tmp/project/config.yaml` says less than `/tmp/project/config.yaml`)."""
    absolute = os.path.abspath(path)
    under = os.path.commonpath([absolute, os.getcwd()]) == os.getcwd()
    return os.path.relpath(absolute) if under else absolute


def _run_command(config_path: str) -> str:
    """The command that runs the pipeline with this config, as this command was invoked."""
    program = sys.argv[0] if sys.argv and sys.argv[0].endswith("pipeline_runner.py") else None
    words = [_shown_path(sys.executable), program] if program else ["tfx-multimodal"]
    return shlex.join(words + ["run", "--config", _shown_path(config_path)])


def _span_csv_hint(args: argparse.Namespace) -> str:
    """For `init --data-root DIR` without `--csv`, where DIR holds span folders of CSVs: the
    newest span's CSV to pass, from which `init` drafts a config that reads every span."""
    from pipeline.datasets import span_folders

    csv = None if args.csv or not args.data_root else span_folders.newest_span_csv(
        args.data_root)
    if csv is None:
        return ""
    return (f"; {args.data_root} holds span folders: pass --csv {csv} (the newest span's CSV), "
            "and the config init drafts reads every span")


def cmd_init(args: argparse.Namespace) -> int:
    """Writes a draft schema and a commented config, and prints the command that runs them."""
    if args.layout == "class_folders" and not args.data_root:
        raise ConfigError("--layout class_folders needs --data-root (the folder of "
                          "<class>/<image> files)")
    if args.layout == "csv" and not (args.csv and args.label):
        raise ConfigError("init needs --csv FILE and --label COLUMN (or --layout class_folders "
                          "--data-root DIR)" + _span_csv_hint(args))
    from pipeline.datasets import class_folders_init, draft_text, project_init

    source = args.data_root if args.layout == "class_folders" else args.csv
    out = args.out or os.path.splitext(os.path.basename(os.path.abspath(source)))[0] + "-pipeline"

    def init() -> int:
        if args.layout == "class_folders":
            project = class_folders_init.init_from_class_folders(args.data_root, out,
                                                                 force=args.force)
        else:
            project = project_init.init_from_csv(args.csv, args.label, out,
                                                 data_root=args.data_root, max_rows=args.rows,
                                                 force=args.force)
        for note in project.notes:
            print(f"note: {note}")
        print(f"Task: {draft_text.task_line(project.draft)}. Columns:")
        print(draft_text.describe(project.draft))
        print(f"Wrote {project.schema_path} and {project.config_path} (review them; they run "
              "as they are). Next:")
        print(f"  {_run_command(project.config_path)}")
        return 0

    return _data_errors(init)
