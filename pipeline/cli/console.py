"""Console output of the commands: this project's progress and errors by default, the libraries'
logs and warnings only with --verbose."""

from __future__ import annotations

import logging
import os
import sys
import warnings


class OwnProgressFilter(logging.Filter):
    """Passes errors, and this project's own INFO logs (rows ingested, training steps with loss,
    exports): the console shows progress without the libraries' chatter."""

    def __init__(self):
        super().__init__()
        here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self._own = tuple(os.path.join(here, package) + os.sep
                          for package in ("components", "pipeline"))

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or record.pathname.startswith(self._own)


def configure_logging(verbose: bool) -> None:
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
        # every Python warning comes from a library (this project raises or logs instead):
        # deprecations, Google clients on Python 3.10, TFMA's 0/0 metrics on a one-sided eval
        warnings.simplefilter("ignore")
        # Beam's multi_processing workers are new interpreters: they read this, not our filters
        os.environ.setdefault("PYTHONWARNINGS", "ignore")
        console.addFilter(OwnProgressFilter())
    # the only root handler: libraries' later basicConfig calls then change nothing
    logging.basicConfig(level=logging.INFO, handlers=[console], force=True)
