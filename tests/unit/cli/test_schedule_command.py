"""`schedule --once`: a run that stops on a data error prints its one-line error and the
scheduler's one-line summary, no traceback, and exits 1."""

import re
import sys

from pipeline import cli
from pipeline.cli import run_commands


def test_a_data_error_is_two_lines_without_a_traceback(tmp_path, capsys, monkeypatch):
    def stopped_on_data_error(config, recheck=False):
        print("error: columns of the schema missing from the file: ['z']", file=sys.stderr)
        return 1

    monkeypatch.setattr(run_commands, "_run_and_report", stopped_on_data_error)
    assert cli.main(["schedule", "--cron", "0 3 * * *", "--once", "--data-root", str(tmp_path),
                     "--output-dir", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert re.sub(r"^\d\d:\d\d:\d\d ", "", err, flags=re.M).splitlines() == [
        "error: columns of the schema missing from the file: ['z']",
        "run failed: the run stopped on a data error (see above)"]
