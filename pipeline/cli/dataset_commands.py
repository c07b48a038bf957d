"""`demo-data` and `schema infer`: the demo dataset, and a draft schema from a CSV sample."""

from __future__ import annotations

import argparse
import os
import sys

from pipeline.cli.arguments import config_from
from pipeline.cli.console import configure_logging
from pipeline.config import ConfigError


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Writes the demo dataset."""
    config = config_from(args)
    from pipeline.datasets import demo_data

    result = demo_data.generate(args.out or config.data_root, config.features(), rows=args.rows)
    print(f"Wrote {result.rows} rows to {result.csv_path}")
    return 0


def cmd_schema_infer(args: argparse.Namespace) -> int:
    """Writes a draft schema inferred from a CSV sample."""
    if not os.path.isfile(args.csv):
        raise ConfigError(f"--csv {args.csv!r} is not a file")
    configure_logging(verbose=False)
    from pipeline.datasets import schema_infer

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
