"""`predict`: scores the raw rows of a CSV file (or every PNG/JPEG file of a folder, when the
model's only input is one image) with the latest pushed model of a config (or `--model DIR`), one
output row per input row (`components/prediction/batch.py`, `image_folder.py`)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from pipeline.config import ConfigError, load_config


def check_arguments(args: argparse.Namespace) -> None:
    """Refuses what cannot be scored or written, before any model is loaded."""
    if args.csv and not os.path.isfile(args.csv):
        raise ConfigError(f"--csv {args.csv} is not a file")
    if args.images and not os.path.isdir(args.images):
        raise ConfigError(f"--images {args.images} is not a folder")
    if args.images and args.data_root:
        raise ConfigError("--data-root does not apply to --images: paths are relative to the "
                          "folder")
    if args.model and not os.path.isdir(args.model):
        raise ConfigError(f"--model {args.model} is not a folder")
    if os.path.isdir(args.output):
        raise ConfigError(f"--output {args.output} is a folder: name the file to write")
    if args.csv and os.path.exists(args.output) and os.path.samefile(args.output, args.csv):
        raise ConfigError(f"--output {args.output} is the --csv input: name another file")


def cmd_predict(args: argparse.Namespace) -> int:
    """Writes the predictions of `--csv` (or `--images`) to `--output`."""
    config = load_config(args.config)
    check_arguments(args)
    from components.ingest.rows import IngestSettings
    from components.prediction import image_folder

    settings = IngestSettings(features=config.features(),
                              max_image_pixels=config.max_image_pixels,
                              max_quarantine_fraction=1.0,
                              image_channels=config.image_channels,
                              max_line_bytes=config.max_csv_line_bytes)
    if args.csv:
        csv_path = os.path.abspath(args.csv)
        return score(args, config, settings, csv_path,
                     os.path.abspath(args.data_root or os.path.dirname(csv_path)))
    try:
        column = image_folder.image_input(settings.features)
    except ValueError as err:
        raise ConfigError(f"--images: {err}") from None
    file_names, others = image_folder.list_images(args.images)
    if not file_names:
        raise ConfigError(f"--images {args.images} holds no PNG/JPEG file")
    if others:
        print(image_folder.not_scored_note(others))
    with tempfile.TemporaryDirectory(prefix="predict-listing-") as listing_dir:
        csv_path = os.path.join(listing_dir, "images.csv")
        image_folder.write_listing(file_names, column, csv_path)
        return score(args, config, settings, csv_path, os.path.abspath(args.images),
                     file_names)


def score(args: argparse.Namespace, config, settings, csv_path: str, data_root: str,
          file_names=None) -> int:
    """Scores the rows of `csv_path` (images relative to `data_root`) into `--output`; a data or
    file error is one line and exit code 1."""
    from components.errors import DataError
    from components.ingest.rows import ColumnsError
    from components.prediction import batch
    from pipeline.datasets import csv_table

    try:
        model_dir = args.model or batch.latest_model(config.serving_dir)
        ignored = batch.check_input(csv_path, settings.features, settings.max_line_bytes)
        batch.check_model_dir(model_dir)
        if ignored:
            print(f"Ignoring columns the schema does not use: {', '.join(ignored)}")
        counts = batch.predict_csv(
            csv_path, settings, data_root, os.path.abspath(model_dir), args.output,
            beam_args=config.beam_pipeline_args(os.path.getsize(csv_path) / 2**20),
            file_names=file_names)
    except DataError as err:
        hint = ("; its first line counts rows and columns (scikit-learn's CSV layout): score "
                "the standard copy `init` wrote of it (<out>/data/), or a CSV with a header "
                "line" if isinstance(err, ColumnsError) and csv_table.has_sklearn_layout(
                    csv_path) else "")
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
