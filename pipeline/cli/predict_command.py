"""`predict`: scores the raw rows of a CSV file with the latest pushed model of a config (or
`--model DIR`), one output row per input row (`components/prediction/batch.py`)."""

from __future__ import annotations

import argparse
import os
import sys

from pipeline.config import ConfigError, load_config


def cmd_predict(args: argparse.Namespace) -> int:
    """Writes the predictions of `--csv` to `--output`."""
    config = load_config(args.config)
    if not os.path.isfile(args.csv):
        raise ConfigError(f"--csv {args.csv} is not a file")
    if args.model and not os.path.isdir(args.model):
        raise ConfigError(f"--model {args.model} is not a folder")
    if os.path.isdir(args.output):
        raise ConfigError(f"--output {args.output} is a folder: name the file to write")
    if os.path.exists(args.output) and os.path.samefile(args.output, args.csv):
        raise ConfigError(f"--output {args.output} is the --csv input: name another file")
    from components.errors import DataError
    from components.ingest.rows import ColumnsError, IngestSettings
    from components.prediction import batch
    from pipeline.datasets import csv_table

    settings = IngestSettings(features=config.features(),
                              max_image_pixels=config.max_image_pixels,
                              max_quarantine_fraction=1.0,
                              max_line_bytes=config.max_csv_line_bytes)
    csv_path = os.path.abspath(args.csv)
    data_root = os.path.abspath(args.data_root or os.path.dirname(csv_path))
    try:
        model_dir = args.model or batch.latest_model(config.serving_dir)
        ignored = batch.check_input(csv_path, settings.features, settings.max_line_bytes)
        if ignored:
            print(f"Ignoring columns the schema does not use: {', '.join(ignored)}")
        counts = batch.predict_csv(
            csv_path, settings, data_root, os.path.abspath(model_dir), args.output,
            beam_args=config.beam_pipeline_args(os.path.getsize(csv_path) / 2**20))
    except DataError as err:
        hint = ("; its first line counts rows and columns (scikit-learn's CSV layout): score the "
                "standard copy `init` wrote of it (<out>/data/), or a CSV with a header line"
                if isinstance(err, ColumnsError) and csv_table.has_sklearn_layout(csv_path)
                else "")
        print(f"error: {err}{hint}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # stdout closed: `main` ends the command quietly
        raise
    except OSError as err:  # an unreadable input or an unwritable output
        print(f"error: {err.filename}: {err.strerror}", file=sys.stderr)
        return 1
    scored = counts["rows_scored"]
    print(f"Wrote {args.output}: {scored} row{'' if scored == 1 else 's'} scored, "
          f"{counts['rows_quarantined']} quarantined (reason in the quarantine_reason column), "
          f"model {model_dir}")
    return 0
