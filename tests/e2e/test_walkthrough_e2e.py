"""README "Your own data": runs exactly the walkthrough's lines (init, run, predict on the Chicago
taxi CSV shipped with TFX) in a scratch folder, then checks the predictions: one row per input
row, in order, equal to the pushed model's serving signature on the same rows."""

import csv
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from components.ingest import csv_files
from pipeline.config import load_config

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVED_ROWS = 300  # rows compared with the serving signature


def walkthrough_lines():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    block = re.search(r"<!-- walkthrough -->\n```bash\n(.*?)```", text, re.S)
    assert block, "README.md has no walkthrough block"
    return block.group(1)


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory):
    """The scratch folder after running the README's lines there (with this repository's
    `.venv` and `pipeline_runner.py` linked in, as in a checkout)."""
    scratch = tmp_path_factory.mktemp("walkthrough")
    os.symlink(os.path.dirname(os.path.dirname(sys.executable)), scratch / ".venv")
    os.symlink(os.path.join(REPO, "pipeline_runner.py"), scratch / "pipeline_runner.py")
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough_lines()],
                            cwd=scratch, capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stderr[-3000:]
    return scratch, result.stdout


def test_init_states_the_task_and_the_next_command(walkthrough):
    _, stdout = walkthrough
    assert "Task: regression (label std 2.158: the mean predictor's RMSE). Columns:" in stdout
    assert re.search(r"company +categorical +BYTES +optional", stdout)
    assert "pipeline_runner.py run --config taxi/config.yaml" in stdout
    assert re.search(r"blessed +yes", stdout) and re.search(r"pushed +yes", stdout)


def test_predictions_equal_the_serving_signature(walkthrough, serve_csv_rows):
    scratch, stdout = walkthrough
    config = load_config(str(scratch / "taxi" / "config.yaml"))
    source = os.path.join(config.data_root, config.input_pattern)
    with open(scratch / "taxi" / "predictions.csv", newline="") as handle:
        predicted = list(csv.DictReader(handle))
    lines = list(csv_files.iter_csv_rows(source))
    assert len(predicted) == len(lines) == 15002
    assert [int(row["line"]) for row in predicted] == [line for line, _ in lines]
    assert all(row["quarantine_reason"] == "" for row in predicted)
    assert "15002 rows scored, 0 quarantined" in stdout

    served = serve_csv_rows(config, source, limit=SERVED_ROWS)["prediction"]
    np.testing.assert_allclose([float(row["prediction"]) for row in predicted[:SERVED_ROWS]],
                               served.ravel(), rtol=1e-5, atol=1e-5)
