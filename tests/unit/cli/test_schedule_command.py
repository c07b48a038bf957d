"""`schedule --once`: a run that stops on a data error prints its one-line error and the
scheduler's one-line summary, no traceback, and exits 1; --once needs no --cron, a schedule
does."""

import re
import sys

import pytest

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


def test_once_runs_without_cron(tmp_path, monkeypatch):
    runs = []
    monkeypatch.setattr(run_commands, "_run_and_report",
                        lambda config, recheck=False: runs.append(config.data_root) or 0)
    assert cli.main(["schedule", "--once", "--data-root", str(tmp_path),
                     "--output-dir", str(tmp_path / "out")]) == 0
    assert runs == [str(tmp_path)]


def test_a_schedule_without_cron_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["schedule", "--data-root", str(tmp_path)])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "pipeline_runner.py schedule: error: the following arguments are required: --cron "
        "(or --once for one run now)")
