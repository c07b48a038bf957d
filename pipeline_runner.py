#!/usr/bin/env python3
"""Runs tfx-multimodal from a checkout: `python pipeline_runner.py --help`."""

import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
