"""Runs `run_fn` as one worker of a multi-worker job (TF_CONFIG set by the caller).

Used by tests/e2e/test_trainer_e2e.py: `python tests/e2e/multiworker_trainer.py ARGS_JSON`.
"""

import json
import sys

from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs

from components.trainer.run import run_fn

if __name__ == "__main__":
    logging.set_verbosity(logging.INFO)  # the test reads the Trainer's log lines
    run_fn(FnArgs(**json.loads(sys.argv[1])))
